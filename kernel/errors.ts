/**
 * Errors of the /dev/efd_notify client.
 *
 * @module
 */

import { EfdpoolError } from "../errors.ts";
import { ErrnoError } from "../ffi/errno.ts";

/**
 * `/dev/efd_notify` does not exist: the efd_notify kernel module is not loaded
 * (or was built for another kernel and failed to load).
 *
 * @example
 * ```ts
 * import { EfdNotifyChannel, ModuleNotLoadedError } from "@efdpool/efdpool";
 * try {
 *   EfdNotifyChannel.open().close();
 * } catch (e) {
 *   if (e instanceof ModuleNotLoadedError) console.error(e.message);
 * }
 * ```
 */
export class ModuleNotLoadedError extends EfdpoolError {
  /** The device path that was tried. */
  readonly path: string;

  /**
   * Builds the error.
   *
   * @param path The device path that was tried.
   * @param options The underlying `ErrnoError`, as `cause`.
   *
   * @example
   * ```ts
   * import { ModuleNotLoadedError } from "@efdpool/efdpool";
   * console.log(new ModuleNotLoadedError("/dev/efd_notify").path);
   * ```
   */
  constructor(path: string, options?: ErrorOptions) {
    super(
      `${path} does not exist: the efd_notify kernel module is not loaded. ` +
        "Build it from the efdpool sources with " +
        '"make -C kernel KDIR=/lib/modules/$(uname -r)/build" (needs the ' +
        "linux-headers package of the running kernel) and load it with " +
        '"sudo insmod kernel/efd_notify.ko" (add mode=0666 to let other ' +
        "users open it); see kernel/README.md",
      options,
    );
    this.path = path;
  }
}

/**
 * The device exists but this process may not open it for reading and writing.
 *
 * @example
 * ```ts
 * import { DevicePermissionError, EfdNotifyChannel } from "@efdpool/efdpool";
 * try {
 *   EfdNotifyChannel.open().close();
 * } catch (e) {
 *   if (e instanceof DevicePermissionError) console.error(e.message);
 * }
 * ```
 */
export class DevicePermissionError extends EfdpoolError {
  /** The device path that was tried. */
  readonly path: string;
  /** The node's permission bits, when they could be read. */
  readonly mode: number | undefined;

  /**
   * Builds the error.
   *
   * @param path The device path that was tried.
   * @param mode The node's permission bits, if known.
   * @param options The underlying `ErrnoError`, as `cause`.
   *
   * @example
   * ```ts
   * import { DevicePermissionError } from "@efdpool/efdpool";
   * console.log(new DevicePermissionError("/dev/efd_notify", 0o600).message);
   * ```
   */
  constructor(path: string, mode?: number, options?: ErrorOptions) {
    const bits = mode === undefined ? "" : ` (mode ${mode.toString(8)})`;
    super(
      `no read/write permission on ${path}${bits}: run as root, or reload ` +
        'the module with "insmod efd_notify.ko mode=0660" and give your ' +
        `group the node ("chgrp GROUP ${path}"), or mode=0666 for everyone`,
      options,
    );
    this.path = path;
    this.mode = mode;
  }
}

/**
 * The channel has no eventfd attached (ENOTCONN): attach one first, or it was
 * detached because its eventfd was closed.
 *
 * @example Needs the efd_notify module loaded
 * ```ts ignore
 * import { EfdNotifyChannel, NotAttachedError } from "@efdpool/efdpool";
 * import assert from "node:assert/strict";
 * using ch = EfdNotifyChannel.open();
 * try {
 *   ch.fire(1);
 * } catch (e) {
 *   assert.equal(e instanceof NotAttachedError, true);
 * }
 * ```
 */
export class NotAttachedError extends ErrnoError {
  /**
   * Builds the error.
   *
   * @param request The ioctl that failed, e.g. `"EFD_NOTIFY_IOC_FIRE"`.
   *
   * @example
   * ```ts
   * import { NotAttachedError } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * assert.equal(new NotAttachedError("EFD_NOTIFY_IOC_FIRE").errno, 107);
   * ```
   */
  constructor(request: string) {
    super("ioctl", 107, `${request}: no eventfd attached`);
  }
}
