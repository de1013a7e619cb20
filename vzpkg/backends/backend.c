/* backend.c: which backend serves a template, and the one place that
 * refuses a package manager no backend knows. */
#include "context.h"
#include "backend.h"

const struct vz_backend *vz_backend_for(const struct vz_template *t)
{
        switch (vz_template_family(t)) {
        case VZ_FAMILY_DEB:
                return &vz_backend_deb;
        case VZ_FAMILY_RPM:
                return &vz_backend_rpm;
        default:
                return NULL;
        }
}

int vz_backend_get(const struct vz_template *t, const struct vz_backend **ret, struct vz_error *err)
{
        const struct vz_backend *be = vz_backend_for(t);
        if (!be)
                return vz_error_set(err, -VZ_E_METADATA, "template %s: package manager %s is not supported yet",
                                    vz_template_name(t), vz_template_package_manager(t));
        if (ret)
                *ret = be;
        return 0;
}
