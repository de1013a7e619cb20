/* attach-blob.c: the attach helper (attach-helper.c, built statically by
 * CMake) embedded as bytes, so no host file is ever its executable:
 * attach.c copies it into a sealed memfd and executes that. */
__asm__(".section .rodata\n"
        ".balign 16\n"
        ".global vz_attach_helper_start\n"
        ".hidden vz_attach_helper_start\n"
        "vz_attach_helper_start:\n"
        ".incbin \"" VZ_ATTACH_HELPER_PATH "\"\n"
        ".global vz_attach_helper_end\n"
        ".hidden vz_attach_helper_end\n"
        "vz_attach_helper_end:\n"
        ".previous\n");
