#ifndef SWITCHYARD_CSYSTEMD_SHIM_H
#define SWITCHYARD_CSYSTEMD_SHIM_H

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/uio.h>

/// sd_notify with the plain (non-variadic) signature; Swift calls this directly.
static inline int switchyard_sd_notify(int unset_environment, const char *state) {
    return sd_notify(unset_environment, state);
}

/// The watchdog interval in microseconds when systemd enabled it for this process, else 0.
static inline unsigned long long switchyard_watchdog_usec(void) {
    uint64_t usec = 0;
    return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

/// The first descriptor systemd passes (`SD_LISTEN_FDS_START`, a macro Swift cannot import).
static inline int switchyard_listen_fds_start(void) { return SD_LISTEN_FDS_START; }

#endif
