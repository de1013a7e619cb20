/* fuzz-config: the admin's configuration text through the KEY=VALUE parser
 * (vz_kv_parse_buffer), the number parser of every numeric key, the whole
 * loader (vz_config_load, reading the text from a memfd), and vztt's files'
 * readers (url.map: vz_urlmap_parse_buffer; vz.conf and vztt.conf:
 * vz_kv_parse_lenient). */
#include "context.h"

#include <limits.h>
#include <stdint.h>
#include <sys/mman.h>

static void numbers(const struct vz_kv *kv, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                long long v;
                if (vz_parse_ll(kv[i].value, vz_size_units, vz_n_size_units, 0, LLONG_MAX, &v) == 0 && v < 0)
                        abort();
                if (vz_parse_ll(kv[i].value, vz_duration_units, vz_n_duration_units, 0, 86400, &v) == 0 &&
                    (v < 0 || v > 86400))
                        abort();
                (void)vz_parse_ll(kv[i].value, NULL, 0, LLONG_MIN, LLONG_MAX, &v);
        }
}

static void loader(const uint8_t *data, size_t size)
{
        struct vz_config cfg;
        struct vz_error err = { 0 };
        char path[64];
        int fd = memfd_create("vzpkg.conf", MFD_CLOEXEC);
        if (fd < 0)
                return;
        if (write(fd, data, size) == (ssize_t)size) {
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
                if (vz_config_load(path, &cfg, &err) == 0 &&
                    (cfg.parallel < 1 || cfg.parallel > 255 || cfg.memory_limit < 0 || cfg.pids_limit < 0 ||
                     cfg.metadata_expire < 0 || cfg.pkg_cache_max < 0 || cfg.parallel_cts < 1))
                        abort();  /* the loader let a value out of its range */
                if (err.code && (!err.msg[0] || strchr(err.msg, '\n')))
                        abort();  /* one line, always */
                vz_config_done(&cfg);
        }
        close(fd);
}

/* url.map pairs: a '$' key without blanks, a value without newline or
 * surrounding blanks; the lenient reader never keeps a "$TOKEN" line. */
static void vztt_files(const uint8_t *data, size_t size)
{
        struct vz_kv *kv = NULL;
        size_t n = 0, bad = 0;
        if (vz_urlmap_parse_buffer((const char *)data, size, &kv, &n) < 0)
                abort();
        for (size_t i = 0; i < n; i++)
                if (kv[i].key[0] != '$' || strpbrk(kv[i].key, " \t\n") || !kv[i].value[0] ||
                    strchr(kv[i].value, '\n') || kv[i].value[0] == ' ' || kv[i].value[0] == '\t')
                        abort();
        vz_kv_free(kv, n);
        if (vz_kv_parse_lenient((const char *)data, size, &kv, &n, &bad) < 0)
                abort();
        for (size_t i = 0; i < n; i++)
                if (kv[i].key[0] == '$' || strchr(kv[i].value, '\n'))
                        abort();
        vz_kv_free(kv, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vz_kv *kv = NULL;
        size_t n = 0;
        struct vz_error err = { 0 };

        if (size > 65536)
                return 0;
        setenv("VZPKG_APT_ETC", "/nonexistent", 1);  /* the host's apt sources are not the input */
        setenv("VZPKG_VZ_CONF", "", 1);              /* nor its vz.conf and vztt.conf */
        setenv("VZPKG_VZTT_CONF", "", 1);
        vztt_files(data, size);
        if (vz_kv_parse_buffer((const char *)data, size, "fuzz", &kv, &n, &err) == 0) {
                numbers(kv, n);
                vz_kv_free(kv, n);
        }
        loader(data, size);
        return 0;
}
