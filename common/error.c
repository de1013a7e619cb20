/* error.c: the vzpkg error model (docs/internals/errors.md). */
#include "common.h"

static const char *const messages[VZ_E_MAX - VZ_E_BASE] = {
        [VZ_E_CONFIG - VZ_E_BASE] = "configuration error",
        [VZ_E_NOTEMPLATE - VZ_E_BASE] = "template not found",
        [VZ_E_METADATA - VZ_E_BASE] = "bad template metadata",
        [VZ_E_NOPKG - VZ_E_BASE] = "package not found",
        [VZ_E_PROBLEM - VZ_E_BASE] = "dependency problem",
        [VZ_E_DOWNLOAD - VZ_E_BASE] = "download failed",
        [VZ_E_SIGNATURE - VZ_E_BASE] = "signature verification failed",
        [VZ_E_CHECKSUM - VZ_E_BASE] = "checksum mismatch",
        [VZ_E_INSTALL - VZ_E_BASE] = "installation failed",
        [VZ_E_HOOK - VZ_E_BASE] = "hook failed",
        [VZ_E_ARCHIVE - VZ_E_BASE] = "archive error",
        [VZ_E_UNSAFE - VZ_E_BASE] = "unsafe path in untrusted input",
        [VZ_E_LOCKED - VZ_E_BASE] = "locked by another process",
        [VZ_E_INTERRUPTED - VZ_E_BASE] = "interrupted",
        [VZ_E_RUNTIME - VZ_E_BASE] = "container runtime error",
        [VZ_E_UNCONFIGURED - VZ_E_BASE] = "template not configured",
        [VZ_E_NOCT - VZ_E_BASE] = "container does not exist",
        [VZ_E_FORMAT - VZ_E_BASE] = "unsupported private area format",
        [VZ_E_NOCACHE - VZ_E_BASE] = "template not cached",
        [VZ_E_NOAPP - VZ_E_BASE] = "application template not found",
        [VZ_E_NOSAMPLE - VZ_E_BASE] = "sample config not found",
};

const char *vz_strerror(int code)
{
        if (code < 0)
                code = -code;
        if (code > VZ_E_BASE && code < VZ_E_MAX && messages[code - VZ_E_BASE])
                return messages[code - VZ_E_BASE];
        return strerror(code);
}

static int error_vset(struct vz_error *err, bool replace, int code, const char *fmt, va_list ap)
{
        if (!err || (err->code && !replace))
                return code;
        err->code = code;
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        return code;
}

int vz_error_set(struct vz_error *err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        error_vset(err, false, code, fmt, ap);
        va_end(ap);
        return code;
}

int vz_error_reset(struct vz_error *err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        error_vset(err, true, code, fmt, ap);
        va_end(ap);
        return code;
}
