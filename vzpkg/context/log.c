/* log.c: what the user sees. Results on stdout, diagnostics on stderr,
 * one line per error; a progress line only when stderr is a terminal. */
#include "context.h"


#include <signal.h>
#include <time.h>

static struct vz_ctx *g_ctx;
static bool progress_shown;
static volatile sig_atomic_t g_interrupted;

void vz_log_init(struct vz_ctx *ctx)
{
        g_ctx = ctx;
}

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
        vz_progress_clear();
        fputs(prefix, stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
}

void vz_info(const char *fmt, ...)
{
        va_list ap;
        if (g_ctx && g_ctx->verbosity < 0)
                return;
        va_start(ap, fmt);
        vlog("", fmt, ap);
        va_end(ap);
}

/* Verbose lines carry the seconds since start: where the time goes is
 * what -v is usually asked for. */
void vz_verbose(const char *fmt, ...)
{
        static struct timespec t0;
        struct timespec now;
        char prefix[32];
        va_list ap;
        if (!g_ctx || g_ctx->verbosity < 1)
                return;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (!t0.tv_sec)
                t0 = now;
        snprintf(prefix, sizeof(prefix), "[%6.1fs] ",
                 (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9);
        va_start(ap, fmt);
        vlog(prefix, fmt, ap);
        va_end(ap);
}

void vz_warn(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vlog("vzpkg: warning: ", fmt, ap);
        va_end(ap);
}

void vz_fail(const struct vz_error *err, int r)
{
        vz_progress_clear();
        if (err && err->code && err->msg[0])
                fprintf(stderr, "vzpkg: %s\n", err->msg);
        else
                fprintf(stderr, "vzpkg: %s\n", vz_strerror(r));
}

void vz_progress(const char *label, long long done, long long total, const char *unit)
{
        char bar[31];
        int width = 30, fill;

        if (!g_ctx || !g_ctx->tty || g_ctx->verbosity < 0 || g_ctx->json)
                return;
        if (!label) {
                vz_progress_clear();
                return;
        }
        fill = total > 0 ? (int)(done * width / total) : 0;
        if (fill > width)
                fill = width;
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '.', (size_t)(width - fill));
        bar[width] = '\0';
        if (strcmp(unit, "MiB") == 0)
                fprintf(stderr, "\r\033[K%-24.24s [%s] %.1f/%.1f MiB", label, bar, done / 1048576.0,
                        total / 1048576.0);
        else
                fprintf(stderr, "\r\033[K%-24.24s [%s] %lld/%lld %s", label, bar, done, total, unit);
        progress_shown = true;
}

void vz_progress_clear(void)
{
        if (progress_shown)
                fputs("\r\033[K", stderr);
        progress_shown = false;
}

static void on_signal(int sig)
{
        (void)sig;
        g_interrupted = 1;
}

int vz_interrupted(void)
{
        return g_interrupted;
}

void vz_signals_install(void)
{
        struct sigaction sa = { .sa_handler = on_signal };
        sigemptyset(&sa.sa_mask);  /* no SA_RESTART: blocking calls return EINTR */
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
}

int vz_exit_code(int r)
{
        switch (-r) {
        case 0:
                return VZ_EXIT_OK;
        case VZ_E_CONFIG:
                return VZ_EXIT_CONFIG;
        case VZ_E_NOTEMPLATE:
                return VZ_EXIT_TEMPLATE;
        case VZ_E_METADATA:
        case VZ_E_UNCONFIGURED:
                return VZ_EXIT_BROKEN;
        case VZ_E_NOPKG:
        case VZ_E_PROBLEM:
        case VZ_E_INSTALL:
                return VZ_EXIT_INSTALL;
        case VZ_E_DOWNLOAD:
                return VZ_EXIT_DOWNLOAD;
        case VZ_E_SIGNATURE:
        case VZ_E_CHECKSUM:
        case VZ_E_UNSAFE:
                return VZ_EXIT_VERIFY;
        case VZ_E_HOOK:
                return VZ_EXIT_HOOK;
        case VZ_E_RUNTIME:
                return VZ_EXIT_RUNTIME;
        case VZ_E_ARCHIVE:
                return VZ_EXIT_CACHE;
        case VZ_E_LOCKED:
                return VZ_EXIT_LOCKED;
        case VZ_E_NOCT:
                return VZ_EXIT_NO_CT;
        case VZ_E_FORMAT:
                return VZ_EXIT_FORMAT;
        case VZ_E_NOCACHE:
                return VZ_EXIT_NOT_CACHED;
        case VZ_E_NOAPP:
                return VZ_EXIT_NO_APP;
        case VZ_E_NOSAMPLE:
                return VZ_EXIT_NO_SAMPLE;
        case VZ_E_INTERRUPTED:
                return VZ_EXIT_INTERRUPTED;
        default:
                return VZ_EXIT_ERROR;
        }
}

