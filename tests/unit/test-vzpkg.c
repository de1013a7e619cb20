/* test-vzpkg.c: the program's own logic: host apt sources, configuration
 * precedence, exit codes. */
#include "unit.h"

#include "context.h"
#include "backend.h"
#include "pipeline.h"
#include "containers.h"
#include "commands.h"

static void test_apt_sources_deb822(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *m = NULL, *s = NULL;
        write_text(d, "sources.list.d/other.sources",
                   "Types: deb\nURIs: http://vendor.example/apt\nSuites: nodistro\nComponents: main\nEnabled: no\n");
        write_text(d, "sources.list.d/debian.sources",
                   "Types: deb\n# comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n"
                   "Components: main\n\nTypes: deb\nURIs: http://mirror.example/debian-security\n"
                   "Suites: bookworm-security\nComponents: main\n");
        assert_int_equal(vz_apt_host_mirrors(d, &m, &s), 0);
        assert_string_equal(m, "http://mirror.example/debian");
        assert_string_equal(s, "http://mirror.example/debian-security");
        vz_rm_rf(d);
}

static void test_apt_sources_list(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *m = NULL, *s = NULL;
        write_text(d, "sources.list", "# x\ndeb-src http://src.example/debian bookworm main\n"
                                      "deb [arch=amd64 signed-by=/k.gpg] http://m.example/debian/ bookworm main\n");
        assert_int_equal(vz_apt_host_mirrors(d, &m, &s), 0);
        assert_string_equal(m, "http://m.example/debian/");
        assert_string_equal(s, "http://m.example/debian-security");  /* derived */
        vz_rm_rf(d);
}

static void test_apt_sources_none(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        char *m = NULL, *s = NULL;
        assert_int_equal(vz_apt_host_mirrors(d, &m, &s), -ENOENT);
        vz_rm_rf(d);
}

static void test_config_precedence(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *conf = vz_path_join(d, "vzpkg.conf");
        struct vz_config cfg;
        struct vz_error err = { 0 };
        write_text(d, "apt/sources.list", "deb http://host.example/debian bookworm main\n");
        write_text(d, "vzpkg.conf", "TEMPLATE=/srv/tmpl\nARCHIVE=xz\nPARALLEL_DOWNLOADS=3\nMEMORY_LIMIT=1G\n"
                                    "$DEBIAN_MIRROR http://conf.example/debian\n");
        _cleanup_free_ char *apt = vz_path_join(d, "apt");
        setenv("VZPKG_APT_ETC", apt, 1);
        setenv("VZPKG_DEBIAN_SECURITY_MIRROR", "http://env.example/sec", 1);
        assert_int_equal(vz_config_load(conf, &cfg, &err), 0);
        assert_string_equal(cfg.cache_dir, "/srv/tmpl/cache");
        assert_int_equal(cfg.archive, VZ_ARCHIVE_XZ);
        assert_int_equal(cfg.parallel, 3);
        assert_int_equal(cfg.memory_limit, 1LL << 30);
        struct vz_vars v = vz_config_vars(&cfg);
        _cleanup_free_ char *x = NULL, *y = NULL;
        assert_int_equal(vz_vars_expand(&v, "$DEBIAN_MIRROR", "t", &x, NULL), 0);
        assert_string_equal(x, "http://conf.example/debian");       /* config beats host */
        assert_int_equal(vz_vars_expand(&v, "$DEBIAN_SECURITY_MIRROR", "t", &y, NULL), 0);
        assert_string_equal(y, "http://env.example/sec");            /* environment beats all */
        vz_config_done(&cfg);
        unsetenv("VZPKG_APT_ETC");
        unsetenv("VZPKG_DEBIAN_SECURITY_MIRROR");
        vz_rm_rf(d);
}

static void test_config_errors(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *conf = vz_path_join(d, "vzpkg.conf");
        struct vz_config cfg;
        struct vz_error err = { 0 };
        write_text(d, "vzpkg.conf", "ARCHIVE=rar\n");
        assert_int_equal(vz_config_load(conf, &cfg, &err), -VZ_E_CONFIG);
        assert_non_null(strstr(err.msg, "ARCHIVE=rar"));
        vz_config_done(&cfg);
        struct vz_error err2 = { 0 };
        _cleanup_free_ char *missing = vz_path_join(d, "nope.conf");
        assert_int_equal(vz_config_load(missing, &cfg, &err2), -VZ_E_CONFIG);
        assert_non_null(strstr(err2.msg, "nope.conf"));
        vz_config_done(&cfg);
        /* LXC keys go into LXC's config as words: no blanks, not too long */
        static const char *const bad[] = { "LXC_NETWORK=\"br 0\"\n", "LXC_NETWORK=averyveryverylongbridge\n",
                                           "LXC_APPARMOR_PROFILE=\"a#b\"\n", "LXC_NETWORK=..\n" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct vz_error e = { 0 };
                write_text(d, "vzpkg.conf", bad[i]);
                assert_int_equal(vz_config_load(conf, &cfg, &e), -VZ_E_CONFIG);
                assert_non_null(strstr(e.msg, "LXC_"));
                vz_config_done(&cfg);
        }
        struct vz_error e3 = { 0 };
        write_text(d, "vzpkg.conf", "LXC_NETWORK=lxcbr0\nLXC_APPARMOR_PROFILE=lxc-container-default-cgns\nLXC_PATH=/srv/lxc\n");
        setenv("VZPKG_LXC_PATH", "/data/lxc", 1);  /* the environment wins, as for the mirrors */
        assert_int_equal(vz_config_load(conf, &cfg, &e3), 0);
        unsetenv("VZPKG_LXC_PATH");
        assert_string_equal(cfg.lxc_network, "lxcbr0");
        assert_string_equal(cfg.lxc_path, "/data/lxc");
        vz_config_done(&cfg);
        vz_rm_rf(d);
}

/* Numbers of the configuration: overflow and range are errors naming the
 * file, the key and the value. */
static void test_config_ranges(void **state)
{
        static const char *const bad[] = {
                "MEMORY_LIMIT=99999999999G", "MEMORY_LIMIT=4K",         "PIDS_LIMIT=99999999999999999999",
                "PIDS_LIMIT=-1",             "PARALLEL_DOWNLOADS=0",    "PARALLEL_DOWNLOADS=256",
                "PARALLEL_CONTAINERS=1000",  "METADATA_EXPIRE=9999999999999999d", "METADATA_EXPIRE=6x",
                "PKG_CACHE_MAX=9999999T",    "BUILD_TMPFS=lots",        "BUILD_TMPFS=1M",
                "SYNC_CONTAINERS=1",
        };
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *conf = vz_path_join(d, "vzpkg.conf");
        struct vz_config cfg;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct vz_error err = { 0 };
                _cleanup_free_ char *text = vz_asprintf("%s\n", bad[i]);
                write_text(d, "vzpkg.conf", text);
                assert_int_equal(vz_config_load(conf, &cfg, &err), -VZ_E_CONFIG);
                assert_non_null(strstr(err.msg, bad[i]));
                assert_non_null(strstr(err.msg, conf));
                vz_config_done(&cfg);
        }
        struct vz_error err = { 0 };
        write_text(d, "vzpkg.conf", "MEMORY_LIMIT=0\nPIDS_LIMIT=4194304\nPARALLEL_CONTAINERS=255\n"
                                    "METADATA_EXPIRE=2d\nPKG_CACHE_MAX=3T\nBUILD_TMPFS=8G\n");
        assert_int_equal(vz_config_load(conf, &cfg, &err), 0);
        assert_true(cfg.build_tmpfs == 8LL << 30);
        assert_true(cfg.memory_limit == 0);
        assert_int_equal(cfg.pids_limit, 4194304);
        assert_int_equal(cfg.parallel_cts, 255);
        assert_true(cfg.metadata_expire == 2 * 86400);
        assert_true(cfg.pkg_cache_max == 3LL << 40);
        vz_config_done(&cfg);
        write_text(d, "vzpkg.conf", "BUILD_TMPFS=no\n");
        assert_int_equal(vz_config_load(conf, &cfg, &err), 0);
        assert_true(cfg.build_tmpfs == 0);
        vz_config_done(&cfg);
        write_text(d, "vzpkg.conf", "BUILD_TMPFS=auto\n");
        assert_int_equal(vz_config_load(conf, &cfg, &err), 0);
        assert_true(cfg.build_tmpfs == -1);
        assert_false(cfg.sync_containers);  /* the default */
        vz_config_done(&cfg);
        write_text(d, "vzpkg.conf", "SYNC_CONTAINERS=yes\n");
        assert_int_equal(vz_config_load(conf, &cfg, &err), 0);
        assert_true(cfg.sync_containers);
        vz_config_done(&cfg);
        vz_rm_rf(d);
}

/* vztt's numbers (its vztt_error.h) where vztt has the condition; vzpkg's
 * own from 80 up; 22 and 0 as always. */
static void test_exit_codes(void **state)
{
        assert_int_equal(vz_exit_code(0), 0);
        assert_int_equal(vz_exit_code(-VZ_E_HOOK), 8);          /* VZT_CMD_FAILED */
        assert_int_equal(vz_exit_code(-VZ_E_NOCT), 16);         /* VZT_VE_NOT_EXIST */
        assert_int_equal(vz_exit_code(-VZ_E_LOCKED), 21);       /* VZT_CANT_LOCK */
        assert_int_equal(vz_exit_code(-VZ_E_NOCACHE), 23);      /* VZT_TMPL_NOT_CACHED */
        assert_int_equal(vz_exit_code(-VZ_E_NOTEMPLATE), 24);   /* VZT_TMPL_NOT_FOUND */
        assert_int_equal(vz_exit_code(-VZ_E_METADATA), 25);     /* VZT_TMPL_BROKEN */
        assert_int_equal(vz_exit_code(-VZ_E_UNCONFIGURED), 25);
        assert_int_equal(vz_exit_code(-VZ_E_FORMAT), 43);       /* VZT_UNSUPPORTED_VEFORMAT */
        assert_int_equal(vz_exit_code(-VZ_E_DOWNLOAD), 52);     /* VZT_CANT_FETCH */
        assert_int_equal(vz_exit_code(-VZ_E_NOPKG), 70);        /* VZT_PM_FAILED */
        assert_int_equal(vz_exit_code(-VZ_E_PROBLEM), 70);
        assert_int_equal(vz_exit_code(-VZ_E_INSTALL), 70);
        assert_int_equal(vz_exit_code(-VZ_E_CONFIG), 80);
        assert_int_equal(vz_exit_code(-VZ_E_SIGNATURE), 81);
        assert_int_equal(vz_exit_code(-VZ_E_CHECKSUM), 81);
        assert_int_equal(vz_exit_code(-VZ_E_UNSAFE), 81);
        assert_int_equal(vz_exit_code(-VZ_E_ARCHIVE), 82);
        assert_int_equal(vz_exit_code(-VZ_E_RUNTIME), 83);
        assert_int_equal(vz_exit_code(-VZ_E_INTERRUPTED), 130);
        assert_int_equal(vz_exit_code(-EIO), 1);
        assert_int_equal(VZ_EXIT_USAGE, 35);                    /* VZT_BAD_PARAM */
        assert_int_equal(VZ_EXIT_STALE, 22);                    /* VZT_NOT_UP2DATE */
        assert_int_equal(VZ_EXIT_NOT_ROOT, 10);                 /* VZT_USER_NOT_ROOT */
        assert_int_equal(VZ_EXIT_RESTART, 84);                  /* vzpkg: restart needed */
        /* every code has an exit status of its own kind, none falls to 1 */
        for (int c = VZ_E_BASE + 1; c < VZ_E_MAX; c++)
                assert_int_not_equal(vz_exit_code(-c), 1);
}

static void test_shipped_almalinux(void **state)
{
        const char *src = getenv("VZPKG_SRC");
        _cleanup_free_ char *area = NULL;
        _cleanup_template_ struct vz_template *t = NULL;
        const struct vz_kv kv[] = { { "$ALMALINUX_MIRROR", "http://mirror.example/almalinux" } };
        const struct vz_vars v = { kv, 1 };
        struct vz_error err = { 0 };
        size_t n;
        if (!src)
                skip();
        area = vz_path_join(src, "templates");
        assert_int_equal(vz_template_load(area, "almalinux-9-x86_64", &v, &t, &err), 0);
        assert_int_equal(vz_template_family(t), VZ_FAMILY_RPM);
        assert_non_null(vz_backend_for(t));
        const struct vz_repo_spec *r = vz_template_repos(t, &n);
        assert_int_equal(n, 2);
        _cleanup_free_ char *base = vz_rpm_expand_url(t, r[0].urls[0]);
        _cleanup_free_ char *app = vz_rpm_expand_url(t, r[1].urls[0]);
        assert_string_equal(base, "http://mirror.example/almalinux/9/BaseOS/x86_64/os/");
        assert_string_equal(app, "http://mirror.example/almalinux/9/AppStream/x86_64/os/");
        assert_true(vz_strv_contains(vz_template_packages(t), "dnf"));
        /* without the mirror variable: a clear error naming it */
        struct vz_template *none = NULL;
        struct vz_error err2 = { 0 };
        assert_int_equal(vz_template_load(area, "almalinux-9-x86_64", NULL, &none, &err2), -VZ_E_UNCONFIGURED);
        assert_non_null(strstr(err2.msg, "$ALMALINUX_MIRROR"));
}

/* ---- containers: timestamps, private areas, configs ---------------------- */

static void test_timestamp_parse(void **state)
{
        long long t = -1;
        assert_int_equal(vz_timestamp_parse("1700000000\n", 11, &t), 0);
        assert_int_equal(t, 1700000000LL);
        assert_int_equal(vz_timestamp_parse("99999999999999999", 17, &t), -ERANGE);
        assert_int_equal(vz_timestamp_parse("999999999999999999999999999", 27, &t), -ERANGE);
        assert_int_equal(vz_timestamp_parse("0", 1, &t), -ERANGE);
        assert_int_equal(vz_timestamp_parse("-5", 2, &t), -EINVAL);
        assert_int_equal(vz_timestamp_parse("", 0, &t), -EINVAL);
        assert_int_equal(vz_timestamp_parse("12\0 34", 6, &t), -EINVAL);
        assert_int_equal(vz_timestamp_parse("2023-11-14 22:13:20", 19, &t), 0);  /* vztt's format */
        assert_true(t > 1699900000LL && t < 1700100000LL);
        assert_int_equal(vz_timestamp_parse("2023-13-14 22:13:20", 19, &t), -ERANGE);
        assert_int_equal(vz_timestamp_parse("2023-02-30 99:13:20", 19, &t), -ERANGE);
        assert_int_equal(vz_timestamp_parse("2023-1x-14 22:13:20", 19, &t), -EINVAL);
}

static void test_private_problem(void **state)
{
        const char *pat = "/vz/private/$VEID";
        assert_null(vz_ct_private_problem(pat, NULL, "/vz/private/101"));
        assert_null(vz_ct_private_problem(pat, NULL, "/vz/private//101/"));
        assert_non_null(vz_ct_private_problem(pat, NULL, "/"));
        assert_non_null(vz_ct_private_problem(pat, NULL, "/etc"));
        assert_non_null(vz_ct_private_problem(pat, NULL, "/lib64"));
        assert_non_null(vz_ct_private_problem(pat, NULL, "/usr/"));
        assert_non_null(vz_ct_private_problem(pat, NULL, "relative/101"));
        assert_non_null(vz_ct_private_problem(pat, NULL, "/vz/private/../../etc"));
        assert_non_null(vz_ct_private_problem(pat, NULL, "/vz/private"));      /* the prefix itself */
        assert_non_null(vz_ct_private_problem(pat, NULL, "/vz/privateX/101")); /* not under it */
        assert_non_null(vz_ct_private_problem(pat, NULL, "/srv/ct/101"));
        assert_null(vz_ct_private_problem(pat, "/data/x /srv/ct", "/srv/ct/101"));
        assert_non_null(vz_ct_private_problem(pat, "/", "/srv/ct/101"));       /* / is no prefix */
        assert_non_null(vz_ct_private_problem(pat, "/srv/ct", "/srv/ct"));
}

static void test_ct_conf_parse(void **state)
{
        static const char text[] = "# vzctl\nOSTEMPLATE=\".debian-12-x86_64\"\n  VE_PRIVATE='/vz/private/$VEID'\n"
                                   "TEMPLATES=\" .a .b\" # apps\nX=1";
        _cleanup_strv_ char **lines = NULL;
        assert_int_equal(vz_ct_conf_parse(text, strlen(text), &lines), 0);
        assert_int_equal(vz_strv_len(lines), 5);
        _cleanup_free_ char *ost = vz_ct_conf_get(lines, "OSTEMPLATE");
        _cleanup_free_ char *priv = vz_ct_conf_get(lines, "VE_PRIVATE");
        _cleanup_free_ char *x = vz_ct_conf_get(lines, "X");
        assert_string_equal(ost, ".debian-12-x86_64");
        assert_string_equal(priv, "/vz/private/$VEID");
        assert_string_equal(x, "1");
        assert_int_equal(vz_ct_conf_parse("A=1\0B=2\n", 8, &lines), -EINVAL);
}

/* destroy/list/install on a config whose VE_PRIVATE is not a private area:
 * refused with exit status 2 before anything is touched */
static void test_ct_load_refuses(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        struct vz_ctx ctx = { 0 };
        struct vz_error err = { 0 };
        struct vz_ct *ct = NULL;
        _cleanup_free_ char *conf = vz_path_join(d, "conf"), *priv = vz_path_join(d, "private");
        _cleanup_free_ char *decoy = vz_path_join(d, "decoy"), *link = vz_path_join(priv, "102");
        ctx.cfg.conf_dir = conf;
        ctx.cfg.ve_private = vz_asprintf("%s/$VEID", priv);
        write_text(conf, "100.conf", "OSTEMPLATE=.debian-12-x86_64\nVE_PRIVATE=\"/\"\n");
        write_text(decoy, "marker", "x");
        write_text(priv, "101/etc/hostname", "ct\n");
        _cleanup_free_ char *c101 = vz_asprintf("OSTEMPLATE=.debian-12-x86_64\nVE_PRIVATE=%s/101\n", priv);
        write_text(conf, "101.conf", c101);
        write_text(conf, "102.conf", "OSTEMPLATE=.debian-12-x86_64\n");
        assert_int_equal(symlink(decoy, link), 0);

        assert_int_equal(vz_ct_load(&ctx, "100", &ct, &err), -VZ_E_CONFIG);
        assert_int_equal(vz_exit_code(-VZ_E_CONFIG), 80);
        assert_non_null(strstr(err.msg, "container 100"));
        assert_non_null(strstr(err.msg, "VE_PRIVATE=\"/\""));
        assert_null(strchr(err.msg, '\n'));
        memset(&err, 0, sizeof(err));
        assert_int_equal(vz_ct_load(&ctx, "102", &ct, &err), -VZ_E_CONFIG);  /* a link to the decoy */
        assert_non_null(strstr(err.msg, "symbolic link"));
        memset(&err, 0, sizeof(err));
        assert_int_equal(vz_ct_load(&ctx, "101", &ct, &err), 0);
        assert_true(ct->priv_fd >= 0);
        long long t = 0;
        write_text(priv, "101/templates/app/timestamp", "99999999999999999\n");
        assert_int_equal(vz_ct_read_stamp(ct, "app", &t), -ERANGE);
        assert_int_equal(vz_ct_stamp(ct, "app"), 0);
        assert_int_equal(vz_ct_read_stamp(ct, "app", &t), 0);
        /* templates -> decoy: the stamp is refused, the decoy untouched */
        _cleanup_free_ char *tdir = vz_path_join(priv, "101/templates");
        assert_int_equal(vz_rm_rf(tdir), 0);
        assert_int_equal(symlink(decoy, tdir), 0);
        assert_int_equal(vz_ct_stamp(ct, "app"), -ELOOP);
        _cleanup_free_ char *dapp = vz_path_join(decoy, "app");
        assert_int_equal(access(dapp, F_OK), -1);
        vz_ct_free(ct);
        ct = NULL;
        /* the admin's prefix may be a link (/vz -> /data/vz): accepted */
        _cleanup_free_ char *real = vz_path_join(d, "data");
        _cleanup_free_ char *plink = vz_path_join(d, "vz");
        write_text(real, "103/etc/hostname", "ct\n");
        assert_int_equal(symlink(real, plink), 0);
        free(ctx.cfg.ve_private);
        ctx.cfg.ve_private = vz_asprintf("%s/$VEID", plink);
        write_text(conf, "103.conf", "OSTEMPLATE=.debian-12-x86_64\n");
        memset(&err, 0, sizeof(err));
        assert_int_equal(vz_ct_load(&ctx, "103", &ct, &err), 0);
        assert_true(ct->priv_fd >= 0);
        vz_ct_free(ct);
        free(ctx.cfg.ve_private);
        vz_rm_rf(d);
}

/* vz.conf, vztt.conf and url.map read as vztt reads them, below
 * vzpkg.conf; $YUMn from the environment. */
static void test_vztt_files(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *conf = vz_path_join(d, "vzpkg.conf"), *vzconf = vz_path_join(d, "vz/vz.conf");
        _cleanup_free_ char *ttconf = vz_path_join(d, "vztt/vztt.conf"), *area = vz_path_join(d, "tmpl");
        _cleanup_free_ char *vzc = vz_asprintf("## vzctl\nTEMPLATE=%s\nLOCKDIR=/srv/lock\nVE_PRIVATE=/srv/private/$VEID\n"
                                               "VEFSTYPE=ext4\nthis line is junk\nHTTP_PROXY=http://vzproxy:1\n", area);
        struct vz_config cfg;
        struct vz_error err = { 0 };
        write_text(d, "vz/vz.conf", vzc);
        write_text(d, "vztt/vztt.conf", "HTTP_PROXY=http://proxy.example:3128/\nHTTP_PROXY_USER=ann\n"
                                        "HTTP_PROXY_PASSWORD=\"p@ss:w\"\nMETADATA_EXPIRE=600\nEXCLUDE=\"kernel*\"\n"
                                        "SCAN_PRIVATE=yes\nARCHIVE=lz4\n");
        write_text(area, "conf/vztt/url.map", "$SUSE_SERVER/pub/opensuse\thttp://suse.example\n"
                                              "$DEB_SERVER\thttp://map.example/debian\n$UBU_SERVER\thttp://ubu.example\n");
        write_text(d, "vzpkg.conf", "LOCK_DIR=/srv/vzpkg-lock\n$DEB_SERVER http://conf.example/debian\n");
        setenv("VZPKG_VZ_CONF", vzconf, 1);
        setenv("VZPKG_VZTT_CONF", ttconf, 1);
        setenv("YUM0", "http://yum0.example", 1);
        setenv("YUM10", "http://yum10.example", 1);
        assert_int_equal(vz_config_load(conf, &cfg, &err), 0);
        assert_string_equal(cfg.template_area, area);                   /* vz.conf TEMPLATE */
        assert_string_equal(cfg.lock_dir, "/srv/vzpkg-lock");           /* vzpkg.conf beats LOCKDIR */
        assert_string_equal(cfg.ve_private, "/srv/private/$VEID");      /* vz.conf VE_PRIVATE */
        assert_string_equal(cfg.proxy, "http://ann:p%40ss%3Aw@proxy.example:3128/");  /* vztt.conf beats vz.conf */
        assert_int_equal(cfg.metadata_expire, 600);
        struct vz_vars v = vz_config_vars(&cfg);
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *y = NULL;
        assert_int_equal(vz_vars_expand(&v, "$SUSE_SERVER/pub/opensuse/distribution/leap", "t", &a, NULL), 0);
        assert_string_equal(a, "http://suse.example/distribution/leap");
        assert_int_equal(vz_vars_expand(&v, "$DEB_SERVER/", "t", &b, NULL), 0);
        assert_string_equal(b, "http://conf.example/debian/");         /* vzpkg.conf beats url.map */
        assert_int_equal(vz_vars_expand(&v, "$UBU_SERVER", "t", &c, NULL), 0);
        assert_string_equal(c, "http://ubu.example");
        assert_int_equal(vz_vars_expand(&v, "$YUM0/x/$YUM10/", "t", &y, NULL), 0);
        assert_string_equal(y, "http://yum0.example/x/http://yum10.example/");
        vz_config_done(&cfg);
        /* a bad METADATA_EXPIRE in vztt.conf is a warning, as in vztt, not an error */
        write_text(d, "vztt/vztt.conf", "METADATA_EXPIRE=soon\n");
        assert_int_equal(vz_config_load(conf, &cfg, &err), 0);
        assert_int_equal(cfg.metadata_expire, 6 * 3600);
        vz_config_done(&cfg);
        unsetenv("YUM0");
        unsetenv("YUM10");
        setenv("VZPKG_VZ_CONF", "", 1);
        setenv("VZPKG_VZTT_CONF", "", 1);
        vz_rm_rf(d);
}

static void test_proxy_url(void **state)
{
        _cleanup_free_ char *a = vz_compat_proxy_url("http://p:8080/", NULL, NULL);
        _cleanup_free_ char *b = vz_compat_proxy_url("p:8080", "u", NULL);
        _cleanup_free_ char *c = vz_compat_proxy_url("http://x:y@p/", "u", "v");
        assert_string_equal(a, "http://p:8080/");
        assert_string_equal(b, "u@p:8080");
        assert_string_equal(c, "http://x:y@p/");  /* credentials already in the URL win */
        assert_null(vz_compat_proxy_url("", "u", "v"));
}

/* vztt's grammar: options anywhere after the command word, -q -d -C -r
 * everywhere, a command's own options only where it takes them. */
static char first_arg[64];

/* vz_cmd_options on a NULL-terminated list: its result (-1: go on), and in
 * first_arg the first positional argument after GNU getopt's permutation. */
static int parse_argv(struct vz_ctx *ctx, unsigned accept, struct vz_opts *o, const char *const *args)
{
        char *argv[16];
        int argc = 0, r;
        for (; args[argc]; argc++)
                argv[argc] = (char *)args[argc];
        argv[argc] = NULL;
        optind = 0;
        r = vz_cmd_options(ctx, argc, argv, accept, o, "usage\n");
        snprintf(first_arg, sizeof(first_arg), "%s", r < 0 && optind < argc ? argv[optind] : "");
        return r;
}

static void test_options(void **state)
{
        struct vz_ctx ctx = { 0 };
        struct vz_opts o;
        ctx.cfg.metadata_expire = 100;
        const char *const a1[] = { "update", "-C", "101", "-q", "--timeout", "2.5", "-n", NULL };
        assert_int_equal(parse_argv(&ctx, VZ_OPT_DRY_RUN | VZ_OPT_TIMEOUT, &o, a1), -1);
        assert_string_equal(first_arg, "101");
        assert_true(ctx.cache_only);
        assert_int_equal(ctx.verbosity, -1);
        assert_true(o.dry_run);
        assert_true(o.timeout > 2.4 && o.timeout < 2.6);
        const char *const a2[] = { "install", "-qn", "101", "-d", "3", "--skiplock", "--check-only", "-r", NULL };
        assert_int_equal(parse_argv(&ctx, VZ_OPT_DRY_RUN, &o, a2), -1);
        assert_string_equal(first_arg, "101");
        assert_int_equal(ctx.verbosity, 1);  /* -d 3 after -q */
        assert_true(ctx.remote && !ctx.cache_only);
        assert_int_equal(ctx.cfg.metadata_expire, 0);  /* -r: always ask */
        const char *const a3[] = { "remove", "101", "-w", "x", "--clean-deps", NULL };
        assert_int_equal(parse_argv(&ctx, VZ_OPT_DEPENDS, &o, a3), -1);
        assert_string_equal(first_arg, "101");
        assert_true(o.with_depends && o.clean_deps);
        /* not the command's: exit 35, as vztt's VZT_BAD_PARAM */
        assert_int_equal(parse_argv(&ctx, VZ_OPT_DRY_RUN, &o, a3), VZ_EXIT_USAGE);
        const char *const a4[] = { "list", "-d", "x", NULL };
        assert_int_equal(parse_argv(&ctx, 0, &o, a4), VZ_EXIT_USAGE);
        const char *const a5[] = { "info", "--timeout", "-1", "t", NULL };
        assert_int_equal(parse_argv(&ctx, VZ_OPT_TIMEOUT, &o, a5), VZ_EXIT_USAGE);
        const char *const a6[] = { "info", "-F", ".centos-7-x86_64", "-p", "--help", NULL };
        assert_int_equal(parse_argv(&ctx, VZ_OPT_FOR | VZ_OPT_PACKAGES, &o, a6), VZ_EXIT_OK);
        const char *const a7[] = { "info", "-F", ".centos-7-x86_64", "-p", "7", NULL };
        assert_int_equal(parse_argv(&ctx, VZ_OPT_FOR | VZ_OPT_PACKAGES, &o, a7), -1);
        assert_string_equal(first_arg, "7");
        assert_string_equal(o.for_obj, "centos-7-x86_64");  /* the leading dot dropped, as vztt */
        int verb = 5;
        assert_int_equal(vz_opt_debug("0", &verb), 0);
        assert_int_equal(verb, 0);
        assert_int_equal(vz_opt_debug("", &verb), -EINVAL);
        assert_int_equal(vz_opt_debug("-1", &verb), -EINVAL);
        double t = -1;
        assert_int_equal(vz_opt_timeout("0", &t), 0);
        assert_int_equal(vz_opt_timeout("1e9", &t), -EINVAL);
        assert_int_equal(vz_opt_timeout("5s", &t), -EINVAL);
}

static void test_timestamp_format(void **state)
{
        char buf[32];
        long long back = 0;
        assert_int_equal(vz_timestamp_format(1700000000LL, buf, sizeof(buf)), 0);
        assert_int_equal(strlen(buf), 19);  /* YYYY-MM-DD HH:MM:SS */
        assert_true(buf[4] == '-' && buf[10] == ' ' && buf[13] == ':');
        assert_int_equal(vz_timestamp_parse(buf, strlen(buf), &back), 0);
        assert_int_equal(back, 1700000000LL);
        assert_int_equal(vz_timestamp_format(0, buf, sizeof(buf)), -EINVAL);
}

/* VZ7's default private area, a ploop image, is refused in one line */
static void test_ploop_refused(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        struct vz_ctx ctx = { 0 };
        struct vz_error err = { 0 };
        struct vz_ct *ct = NULL;
        _cleanup_free_ char *conf = vz_path_join(d, "conf"), *priv = vz_path_join(d, "private");
        ctx.cfg.conf_dir = conf;
        ctx.cfg.ve_private = vz_asprintf("%s/$VEID", priv);
        write_text(conf, "201.conf", "OSTEMPLATE=.centos-7-x86_64\n");
        write_text(priv, "201/root.hdd/DiskDescriptor.xml", "<Parallels_disk_image/>\n");
        write_text(conf, "202.conf", "OSTEMPLATE=.debian-12-x86_64\n");
        write_text(priv, "202/etc/hostname", "ct\n");
        assert_int_equal(vz_ct_load(&ctx, "201", &ct, &err), 0);
        assert_int_equal(vz_ct_check_format(ct, &err), -VZ_E_FORMAT);
        assert_non_null(strstr(err.msg, "ploop"));
        assert_non_null(strstr(err.msg, "201"));
        assert_int_equal(vz_exit_code(-VZ_E_FORMAT), 43);
        vz_ct_free(ct);
        memset(&err, 0, sizeof(err));
        assert_int_equal(vz_ct_load(&ctx, "202", &ct, &err), 0);
        assert_int_equal(vz_ct_check_format(ct, &err), 0);
        vz_ct_free(ct);
        memset(&err, 0, sizeof(err));
        assert_int_equal(vz_ct_load(&ctx, "203", &ct, &err), -VZ_E_NOCT);  /* exit 16 */
        free(ctx.cfg.ve_private);
        free(ctx.cfg.lxc_path);  /* vz_ct_resolve asked liblxc for its lxcpath */
        vz_rm_rf(d);
}

/* A snapshot left by an operation that never ended stops the next one
 * (exit 1) with the way back and the way forward, and nothing is removed;
 * an unfinished (.new) or retired (.done) one is removed without a word. */
static void test_snapshot_leftover(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *own = vz_path_join(d, "101"), *snap = vz_path_join(d, "101.vzpkg-snapshot");
        _cleanup_free_ char *tmp = vz_asprintf("%s.new", snap), *done = vz_asprintf("%s.done", snap);
        _cleanup_free_ char *go_back = vz_asprintf("mv %s %s.broken && mv %s %s", own, own, snap, own);
        _cleanup_free_ char *keep = vz_asprintf("rm -rf %s", snap);
        _cleanup_free_ char *marker = vz_path_join(snap, "etc/marker"), *file = vz_path_join(own, "etc/hostname");
        struct vz_error err = { 0 };
        write_text(own, "etc/hostname", "ct\n");
        assert_int_equal(vz_ct_snapshot_leftover("101", own, snap, &err), 0);  /* none */
        write_text(tmp, "etc/x", "half\n");
        write_text(done, "etc/x", "old\n");
        assert_int_equal(vz_ct_snapshot_leftover("101", own, snap, &err), 0);
        assert_int_equal(access(tmp, F_OK), -1);
        assert_int_equal(access(done, F_OK), -1);
        write_text(snap, "etc/marker", "before\n");
        assert_int_equal(vz_ct_snapshot_leftover("101", own, snap, &err), -EEXIST);
        assert_int_equal(vz_exit_code(-EEXIST), 1);
        assert_non_null(strstr(err.msg, "container 101: "));
        assert_non_null(strstr(err.msg, go_back));
        assert_non_null(strstr(err.msg, keep));
        assert_null(strchr(err.msg, '\n'));  /* one line */
        assert_int_equal(access(marker, F_OK), 0);  /* the admin's: kept */
        assert_int_equal(access(file, F_OK), 0);
        vz_rm_rf(d);
}

/* lxc.rootfs.path forms: a directory, with or without "dir:"; other
 * storage backends refused as unsupported, junk as invalid */
static void test_lxc_rootfs_parse(void **state)
{
        char *p = NULL;
        assert_int_equal(vz_lxc_rootfs_parse("dir:/var/lib/lxc/a/rootfs", &p), 0);
        assert_string_equal(p, "/var/lib/lxc/a/rootfs");
        free(p);
        assert_int_equal(vz_lxc_rootfs_parse("/srv/ct/a", &p), 0);
        assert_string_equal(p, "/srv/ct/a");
        free(p);
        p = NULL;
        assert_int_equal(vz_lxc_rootfs_parse("overlay:/lower:/upper", &p), -EOPNOTSUPP);
        assert_int_equal(vz_lxc_rootfs_parse("overlayfs:/lower:/upper", &p), -EOPNOTSUPP);
        assert_int_equal(vz_lxc_rootfs_parse("/lower:/upper", &p), -EOPNOTSUPP);  /* overlay as liblxc 5 returns it */
        assert_int_equal(vz_lxc_rootfs_parse("btrfs:/var/lib/lxc/a/rootfs", &p), -EOPNOTSUPP);
        assert_int_equal(vz_lxc_rootfs_parse("zfs:tank/lxc/a", &p), -EOPNOTSUPP);
        assert_int_equal(vz_lxc_rootfs_parse("lvm:/dev/vg/a", &p), -EOPNOTSUPP);
        assert_int_equal(vz_lxc_rootfs_parse("", &p), -EINVAL);
        assert_int_equal(vz_lxc_rootfs_parse(NULL, &p), -EINVAL);
        assert_int_equal(vz_lxc_rootfs_parse("rootfs", &p), -EINVAL);
        assert_int_equal(vz_lxc_rootfs_parse("dir:rootfs", &p), -EINVAL);
        assert_null(p);
}

/* The overlay layout: what liblxc leaves of overlay:LOWER:UPPER, split;
 * the names of shared trees that clean may remove; the config line. */
static void test_lxc_overlay(void **state)
{
        char *lo = NULL, *up = NULL;
        assert_int_equal(vz_lxc_overlay_parse("/t/c.tree.0123456789abcdef/rootfs:/l/a/delta0", &lo, &up), 0);
        assert_string_equal(lo, "/t/c.tree.0123456789abcdef/rootfs");
        assert_string_equal(up, "/l/a/delta0");
        free(lo);
        free(up);
        assert_int_equal(vz_lxc_overlay_parse("overlay:/lower:/upper", &lo, &up), 0);
        assert_string_equal(lo, "/lower");
        assert_string_equal(up, "/upper");
        free(lo);
        free(up);
        lo = up = NULL;
        assert_int_equal(vz_lxc_overlay_parse("/a:/b:/c", &lo, &up), -EINVAL);  /* several lowers: not ours */
        assert_int_equal(vz_lxc_overlay_parse("/only", &lo, &up), -EINVAL);
        assert_int_equal(vz_lxc_overlay_parse("rel:/upper", &lo, &up), -EINVAL);
        assert_int_equal(vz_lxc_overlay_parse("/lower:/", &lo, &up), -EINVAL);
        assert_int_equal(vz_lxc_overlay_parse(NULL, &lo, &up), -EINVAL);
        assert_null(lo);
        assert_null(up);
        assert_true(vz_shared_tree_name("/vz/template/cache", "/vz/template/cache/debian-12-x86_64.tree.0123456789abcdef"));
        assert_false(vz_shared_tree_name("/vz/template/cache", "/vz/template/cache/debian-12-x86_64.tar.zst"));
        assert_false(vz_shared_tree_name("/vz/template/cache", "/vz/template/cache/x.tree.0123456789ABCDEF"));
        assert_false(vz_shared_tree_name("/vz/template/cache", "/vz/template/cache/x.tree.0123"));
        assert_false(vz_shared_tree_name("/vz/template/cache", "/vz/template/cache/.tree.0123456789abcdef"));
        assert_false(vz_shared_tree_name("/vz/template/cache", "/vz/template/cachex/a.tree.0123456789abcdef"));
        assert_false(vz_shared_tree_name("/vz/template/cache", "/vz/template/cache/sub/a.tree.0123456789abcdef"));
        struct vz_lxc_settings s = { .uts_name = "a", .rootfs = "/l/a/delta0", .lower = "/t/c.tree.0123456789abcdef/rootfs",
                                     .network = "empty" };
        _cleanup_free_ char *t = NULL;
        assert_int_equal(vz_lxc_config_text(&s, &t), 0);
        assert_non_null(strstr(t, "\nlxc.rootfs.path = overlay:/t/c.tree.0123456789abcdef/rootfs:/l/a/delta0\n"));
        assert_null(strstr(t, "dir:"));
        s.lower = "/t\nlxc.hook.pre-start = /x";
        free(t);
        t = NULL;
        assert_int_equal(vz_lxc_config_text(&s, &t), -EINVAL);
        (void)state;
}

/* The LXC config create ct --lxc writes: the keys it promises, a bridge
 * as veth, nothing that spans lines */
static void test_lxc_config_text(void **state)
{
        struct vz_lxc_settings s = { .uts_name = "web.example", .rootfs = "/l/web/rootfs", .network = "empty",
                                     .apparmor = "unconfined", .systemd = true };
        _cleanup_free_ char *t = NULL, *b = NULL;
        assert_int_equal(vz_lxc_config_text(&s, &t), 0);
        assert_non_null(strstr(t, "\nlxc.uts.name = web.example\n"));
        assert_non_null(strstr(t, "\nlxc.rootfs.path = dir:/l/web/rootfs\n"));
        assert_non_null(strstr(t, "\nlxc.net.0.type = empty\n"));
        assert_non_null(strstr(t, "\nlxc.apparmor.profile = unconfined\n"));
        assert_non_null(strstr(t, "\nlxc.signal.halt = SIGRTMIN+3\n"));
        assert_non_null(strstr(t, "\nlxc.mount.auto = "));  /* no include: explicit keys */
        s.include = "/usr/share/lxc/config/debian.common.conf";
        s.network = "br0";
        s.hwaddr = "00:16:3e:01:02:03";
        s.apparmor = NULL;
        s.systemd = false;
        assert_int_equal(vz_lxc_config_text(&s, &b), 0);
        assert_non_null(strstr(b, "\nlxc.include = /usr/share/lxc/config/debian.common.conf\n"));
        assert_null(strstr(b, "lxc.mount.auto"));
        assert_non_null(strstr(b, "\nlxc.net.0.type = veth\nlxc.net.0.link = br0\nlxc.net.0.flags = up\n"));
        assert_non_null(strstr(b, "\nlxc.net.0.hwaddr = 00:16:3e:01:02:03\n"));
        assert_null(strstr(b, "apparmor"));
        assert_null(strstr(b, "signal.halt"));
        char *x = NULL;
        s.uts_name = "a\nlxc.mount.entry = / host none bind";
        assert_int_equal(vz_lxc_config_text(&s, &x), -EINVAL);
        assert_null(x);
}

/* Which kind a name means: lxc:/vzctl: force one; a bare name is vzctl's
 * when its CTID.conf exists (LXC is not asked without an LXC_PATH) */
static void test_ct_resolve(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        struct vz_ctx ctx = { 0 };
        const char *name;
        ctx.cfg.conf_dir = d;
        ctx.cfg.lxc_path = vz_xstrdup("");  /* LXC off */
        write_text(d, "101.conf", "OSTEMPLATE=.x\n");
        assert_int_equal(vz_ct_resolve(&ctx, "lxc:web", &name), VZ_CT_LXC);
        assert_string_equal(name, "web");
        assert_int_equal(vz_ct_resolve(&ctx, "vzctl:101", &name), VZ_CT_VZCTL);
        assert_string_equal(name, "101");
        assert_int_equal(vz_ct_resolve(&ctx, "101", &name), VZ_CT_VZCTL);
        assert_int_equal(vz_ct_resolve(&ctx, "web", &name), VZ_CT_VZCTL);
        assert_true(vz_ct_exists(&ctx, "101"));
        assert_true(vz_ct_exists(&ctx, "vzctl:101"));
        assert_false(vz_ct_exists(&ctx, "web"));
        assert_false(vz_ct_exists(&ctx, "lxc:web"));
        assert_false(vz_ct_exists(&ctx, "lxc:../x"));
        assert_null(vz_lxc_path(&ctx));
        free(ctx.cfg.lxc_path);
        vz_rm_rf(d);
}

/* ---- stage cache keys ---------------------------------------------------- */

static void key_of(const char *const *fields, char hex[65])
{
        struct vz_stagekey k;
        vz_stagekey_init(&k, "base");
        for (size_t i = 0; fields[i]; i += 2)
                vz_stagekey_add(&k, fields[i], fields[i + 1]);
        vz_stagekey_finish(&k, hex);
        vz_stagekey_done(&k);
}

static void test_stagekey_fields(void **state)
{
        static const char *const a[] = { "x", "1", "y", "2\nz=3", NULL };
        static const char *const b[] = { "x", "1", "y", "2", "z", "3", NULL };
        static const char *const c[] = { "y", "2\nz=3", "x", "1", NULL };
        char ha[65], ha2[65], hb[65], hc[65];
        key_of(a, ha);
        key_of(a, ha2);
        key_of(b, hb);
        key_of(c, hc);
        assert_int_equal(strlen(ha), 64);
        assert_string_equal(ha, ha2);       /* the same inputs, the same key */
        assert_string_not_equal(ha, hb);    /* a newline in a value cannot forge a field */
        assert_string_not_equal(ha, hc);    /* order counts */
        struct vz_stagekey k;
        char absent[65], empty[65];
        vz_stagekey_init(&k, "base");
        vz_stagekey_add(&k, "hook", NULL);
        vz_stagekey_finish(&k, absent);
        vz_stagekey_done(&k);
        vz_stagekey_init(&k, "base");
        vz_stagekey_add(&k, "hook", "");
        vz_stagekey_finish(&k, empty);
        vz_stagekey_done(&k);
        assert_string_not_equal(absent, empty);
}

static void test_stagekey_files_and_packages(void **state)
{
        _cleanup_free_ char *d = scratch_dir();
        _cleanup_free_ char *hook = vz_path_join(d, "post-install");
        struct vz_pkg pk[3] = {
                { .name = "libc6", .arch = "amd64", .version = "2.36", .sha256 = "aa", .bootstrap = true },
                { .name = "apt", .arch = "amd64", .version = "2.6", .sha256 = "bb", .batch = 1 },
                { .name = "dash", .arch = "amd64", .version = "0.5", .sha256 = "cc", .bootstrap = true },
        };
        struct vz_pkg swapped[3] = { pk[2], pk[1], pk[0] };
        struct vz_pkglist l = { pk, 3 }, ls = { swapped, 3 };
        char h[5][65];
        struct vz_stagekey k;
        const char *texts[] = { "#!/bin/sh\necho a\n", "#!/bin/sh\necho b\n" };
        for (int i = 0; i < 2; i++) {
                write_text(d, "post-install", texts[i]);
                vz_stagekey_init(&k, "final");
                vz_stagekey_add_file(&k, "post-install", hook);
                vz_stagekey_finish(&k, h[i]);
                vz_stagekey_done(&k);
        }
        assert_string_not_equal(h[0], h[1]);  /* a hook's content is in the key */
        /* base: the essential set only, in any list order; final: everything */
        vz_stagekey_init(&k, "base");
        vz_stagekey_add_packages(&k, &l, true);
        assert_null(strstr(k.text, "apt "));
        assert_non_null(strstr(k.text, "package=dash amd64 0.5 cc 1 0 0\n"));
        vz_stagekey_finish(&k, h[2]);
        vz_stagekey_done(&k);
        vz_stagekey_init(&k, "base");
        vz_stagekey_add_packages(&k, &ls, true);
        vz_stagekey_finish(&k, h[3]);
        vz_stagekey_done(&k);
        assert_string_equal(h[2], h[3]);
        pk[1].version = "2.7";  /* a newer apt: the base stays, the final changes */
        vz_stagekey_init(&k, "base");
        vz_stagekey_add_packages(&k, &l, true);
        vz_stagekey_finish(&k, h[4]);
        vz_stagekey_done(&k);
        assert_string_equal(h[2], h[4]);
        vz_stagekey_init(&k, "final");
        vz_stagekey_add_packages(&k, &l, false);
        assert_non_null(strstr(k.text, "package=apt amd64 2.7 bb 0 1 0\n"));
        vz_stagekey_done(&k);
        pk[0].sha256 = "ab";  /* another file for the same version: the base changes */
        vz_stagekey_init(&k, "base");
        vz_stagekey_add_packages(&k, &l, true);
        vz_stagekey_finish(&k, h[4]);
        vz_stagekey_done(&k);
        assert_string_not_equal(h[2], h[4]);
        vz_rm_rf(d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_apt_sources_deb822), cmocka_unit_test(test_apt_sources_list),
                cmocka_unit_test(test_apt_sources_none),   cmocka_unit_test(test_config_precedence),
                cmocka_unit_test(test_config_errors), cmocka_unit_test(test_config_ranges),      cmocka_unit_test(test_exit_codes),
                cmocka_unit_test(test_shipped_almalinux),
                cmocka_unit_test(test_timestamp_parse),    cmocka_unit_test(test_private_problem),
                cmocka_unit_test(test_ct_conf_parse),      cmocka_unit_test(test_ct_load_refuses),
                cmocka_unit_test(test_vztt_files),         cmocka_unit_test(test_proxy_url),
                cmocka_unit_test(test_options),            cmocka_unit_test(test_timestamp_format),
                cmocka_unit_test(test_ploop_refused),      cmocka_unit_test(test_snapshot_leftover),
                cmocka_unit_test(test_lxc_rootfs_parse), cmocka_unit_test(test_lxc_overlay),   cmocka_unit_test(test_lxc_config_text),
                cmocka_unit_test(test_ct_resolve),
                cmocka_unit_test(test_stagekey_fields),    cmocka_unit_test(test_stagekey_files_and_packages),
        };
        /* never the host's vzctl/vztt files */
        setenv("VZPKG_VZ_CONF", "", 1);
        setenv("VZPKG_VZTT_CONF", "", 1);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
