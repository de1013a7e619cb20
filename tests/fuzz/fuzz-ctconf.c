/* fuzz-ctconf.c: a vzctl-style CTID.conf through the container config
 * parser of vzpkg/containers/ct.c, then its VE_PRIVATE through the private-area
 * checks (the string part: no file is touched). */
#include <stdint.h>

#include "containers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const keys[] = { "OSTEMPLATE", "TEMPLATES", "VE_PRIVATE", "DISTRIBUTION" };
        char **lines = NULL;
        if (vz_ct_conf_parse((const char *)data, size, &lines) < 0)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                char *v = vz_ct_conf_get(lines, keys[i]);
                if (v && i == 2)
                        (void)vz_ct_private_problem("/vz/private/$VEID", "/srv/ct /data", v);
                free(v);
        }
        vz_strv_free(lines);
        return 0;
}
