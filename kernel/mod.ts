/**
 * Client of the efd_notify kernel module (`kernel/README.md`): signal
 * eventfds — a `WorkerPool`'s among them — from kernel context. Beside
 * `EfdNotifyChannel` and `EfdNotifySource` (also in the root export), this
 * entry point has the module's ioctl ABI: `EFD_NOTIFY_IOCTL`,
 * `EFD_NOTIFY_SIZES`, `EFD_NOTIFY_STATE`, `EFD_NOTIFY_LIMITS`.
 *
 * @example
 * ```ts ignore
 * import { EfdNotifyChannel } from "@efdpool/efdpool";
 * using ch = EfdNotifyChannel.open();
 * console.log(ch.stats());
 * ```
 *
 * @module
 */

export {
  EfdNotifyChannel,
  type EfdNotifyOpenOptions,
  type EfdNotifyStats,
  type PeriodicOptions,
} from "./client.ts";
export {
  EFD_NOTIFY_DEVICE,
  EFD_NOTIFY_IOCTL,
  EFD_NOTIFY_LIMITS,
  EFD_NOTIFY_SIZES,
  EFD_NOTIFY_STATE,
} from "./constants.ts";
export { type BlockNotifier, EfdNotifySource } from "./source.ts";
export {
  DevicePermissionError,
  ModuleNotLoadedError,
  NotAttachedError,
} from "./errors.ts";
