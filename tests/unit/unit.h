/* unit.h: what every unit test needs: cmocka and a scratch directory. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static inline char *scratch_dir(void)
{
        char *d = vz_xstrdup("/tmp/vzpkg-unit.XXXXXX");
        assert_non_null(mkdtemp(d));
        return d;
}

static inline void write_text(const char *dir, const char *rel, const char *text)
{
        _cleanup_free_ char *p = vz_path_join(dir, rel);
        _cleanup_free_ char *parent = vz_xstrdup(p);
        *strrchr(parent, '/') = '\0';
        assert_int_equal(vz_mkdir_p(parent, 0755), 0);
        assert_int_equal(vz_write_file_atomic(p, text, strlen(text), 0644), 0);
}

/* A shell command (tools that build test input: dpkg-deb, rpmbuild, gpg),
 * its output discarded: its exit status, or -1. */
static inline int unit_sh(const char *cmd)
{
        int status;
        pid_t pid = fork();
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
                dup2(null, 1);
                dup2(null, 2);
                execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
                _exit(127);
        }
        if (pid < 0 || waitpid(pid, &status, 0) < 0)
                return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
