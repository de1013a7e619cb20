/* rpm-internal.h: what the files of rpm/ share. */
#pragma once

#include "vzrpm.h"

#include <rpm/rpmts.h>

/* rpmReadConfigFiles, once. */
void rpm_init(void);

/* librpm reports through rpmlog; a library must not print, so between
 * capture_start and capture_stop its messages are kept, the verdict lines
 * ("... BAD", "NOT OK", "NOKEY", "not signed") preferred, and the one kept
 * is given by captured() ("" when none). */
void capture_start(void);
void capture_stop(void);
const char *captured(void);

/* A transaction set whose keyring holds these keys alone. */
rpmts keys_ts(const struct vz_rpm_keys *k);
/* The keys' packets, for rpmtsImportPubkey. */
size_t keys_count(const struct vz_rpm_keys *k);
int keys_import(const struct vz_rpm_keys *k, size_t i, rpmts ts);
