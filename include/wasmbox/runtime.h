/*
 * runtime.h — wasmbox-runtime, the runc-compatible OCI runtime, as a library call.
 *
 * Container engines (podman, docker through containerd's runc shim, containerd,
 * Kubernetes through containerd's CRI plugin) run a runtime binary with runc's
 * command line: `create --bundle DIR ID`, `start ID`, `state ID`, `kill ID SIG`,
 * `delete ID`, ... This is that command line. A bundle whose program is a
 * WebAssembly module runs on wasmbox's engine, with WASI; any other bundle is
 * handed unchanged to a classic runtime (runc), so one runtime serves both kinds.
 *
 * The wasmbox-runtime executable is main() { return wb_runtime_main(argc, argv); };
 * `wasmbox runtime ARGS...` may call it the same way (argv[0] is then "runtime").
 */
#ifndef WASMBOX_RUNTIME_H
#define WASMBOX_RUNTIME_H

/* Runs one runtime command; returns the process exit status. Never returns for
 * commands handed to the classic runtime (it replaces the process) and for the
 * container's own process. */
int wb_runtime_main(int argc, char **argv);

/* The environment variable naming the classic runtime (default "runc"). */
#define WB_RUNTIME_CLASSIC_ENV "WASMBOX_CLASSIC_RUNTIME"

#endif
