#ifndef SWITCHYARD_CSYSTEMD_SHIM_H
#define SWITCHYARD_CSYSTEMD_SHIM_H

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/uio.h>

/// sd_notify with the plain (non-variadic) signature; Swift calls this directly.
static inline int switchyard_sd_notify(int unset_environment, const char *state) {
    return sd_notify(unset_environment, state);
}

#endif
