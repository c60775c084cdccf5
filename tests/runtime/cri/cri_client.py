#!/usr/bin/python3
"""cri_client.py -- drives containerd's CRI plugin the way kubelet does, for one wasm
pod run through the runtime handler under test (tests/runtime/cri.sh).

The pod is deploy/kubernetes/pod.yaml, translated into CRI requests as kubelet would
(annotations, env, resources; its image replaced by one imported for the test), plus
containers that check an exit code and ContainerStats on a running container:
RunPodSandbox -> CreateContainer -> StartContainer -> ContainerStatus -> ContainerStats
-> StopContainer -> RemoveContainer -> StopPodSandbox -> RemovePodSandbox.
Prints PASS/FAIL lines and timings; exits 1 if anything failed.

usage: cri_client.py SOCK LOGROOT POD_YAML HANDLER HELLO_IMAGE PROBE_IMAGE CGROUP_PARENT
"""
import os
import sys
import time
import uuid

import grpc
import yaml

import cri_subset_pb2 as pb
import cri_subset_pb2_grpc as rpc

sock, logroot, pod_yaml, handler, hello_image, probe_image, cg_parent = sys.argv[1:8]
fails = 0

MASKED = ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
          "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
          "/sys/firmware", "/sys/devices/virtual/powercap"]  # kubelet's defaults
READONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]


def check(desc, ok, detail=""):
    global fails
    if ok:
        print(f"PASS  cri: {desc}")
    else:
        fails += 1
        print(f"FAIL  cri: {desc} {detail}")
    sys.stdout.flush()


def ms(t0):
    return f"{(time.monotonic() - t0) * 1000:.0f} ms"


def quantity(q):
    """Kubernetes quantities: "64Mi" -> bytes, "250m" -> millicores."""
    q = str(q)
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "k": 1000, "M": 10**6, "G": 10**9}
    for u, f in units.items():
        if q.endswith(u):
            return int(float(q[:-len(u)]) * f)
    if q.endswith("m"):
        return int(q[:-1])
    return int(float(q) * 1000)  # cpu cores -> millicores


ch = grpc.insecure_channel("unix://" + sock)
rt, im = rpc.RuntimeServiceStub(ch), rpc.ImageServiceStub(ch)
v = rt.Version(pb.VersionRequest(version="v1"))
check(f"Version ({v.runtime_name} {v.runtime_version}, {v.runtime_api_version})",
      v.runtime_name == "containerd")
tags = [t for i in im.ListImages(pb.ListImagesRequest()).images for t in i.repo_tags]
check("ListImages lists the imported wasm images", hello_image in tags and probe_image in tags,
      str(tags))

spec = yaml.safe_load(open(pod_yaml))
check("the pod spec names the RuntimeClass", spec["spec"]["runtimeClassName"] == "wasmbox")
pod_anns = dict(spec["metadata"].get("annotations", {}))
uid = str(uuid.uuid4())
name = spec["metadata"]["name"]
logdir = f"{logroot}/default_{name}_{uid}"
os.makedirs(logdir)
host_ns = pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER, ipc=pb.POD)
sb_cfg = pb.PodSandboxConfig(
    metadata=pb.PodSandboxMetadata(name=name, uid=uid, namespace="default", attempt=0),
    log_directory=logdir, labels={"app": name}, annotations=pod_anns,
    linux=pb.LinuxPodSandboxConfig(
        cgroup_parent=cg_parent,
        security_context=pb.LinuxSandboxSecurityContext(namespace_options=host_ns)))
t_pod = time.monotonic()
t0 = time.monotonic()
sb = rt.RunPodSandbox(pb.RunPodSandboxRequest(config=sb_cfg, runtime_handler=handler)).pod_sandbox_id
print(f"TIME  RunPodSandbox {ms(t0)}")
st = rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=sb)).status
check("RunPodSandbox: the sandbox is ready", st.state == pb.SANDBOX_READY)
check(f"PodSandboxStatus: runtime_handler {st.runtime_handler}", st.runtime_handler == handler)


def container(cname, image, args=None, env=None, resources=None):
    """CreateContainer as kubelet builds it; returns the id."""
    c = pb.ContainerConfig(
        metadata=pb.ContainerMetadata(name=cname, attempt=0),
        image=pb.ImageSpec(image=image), args=args or [],
        envs=[pb.KeyValue(key=k, value=v) for k, v in (env or {}).items()],
        annotations=pod_anns, log_path=f"{cname}/0.log",
        linux=pb.LinuxContainerConfig(
            resources=resources,
            security_context=pb.LinuxContainerSecurityContext(
                namespace_options=host_ns, masked_paths=MASKED, readonly_paths=READONLY)))
    return rt.CreateContainer(pb.CreateContainerRequest(
        pod_sandbox_id=sb, config=c, sandbox_config=sb_cfg)).container_id


def status(cid):
    return rt.ContainerStatus(pb.ContainerStatusRequest(container_id=cid)).status


def wait_state(cid, state, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        s = status(cid)
        if s.state == state:
            return s
        time.sleep(0.02)
    return status(cid)


def run_to_exit(cid):
    t0 = time.monotonic()
    rt.StartContainer(pb.StartContainerRequest(container_id=cid))
    t_start = ms(t0)
    s = wait_state(cid, pb.CONTAINER_EXITED)
    return s, t_start, ms(t0)


def log_of(s):
    try:
        return open(s.log_path).read()
    except OSError as e:
        return str(e)


def remove(cid):
    rt.StopContainer(pb.StopContainerRequest(container_id=cid, timeout=5))
    rt.RemoveContainer(pb.RemoveContainerRequest(container_id=cid))


# 1. the pod spec's container: its env and resources, the test's image
c0 = spec["spec"]["containers"][0]
env = {e["name"]: e["value"] for e in c0.get("env", [])}
limits = c0.get("resources", {}).get("limits", {})
res = pb.LinuxContainerResources(
    memory_limit_in_bytes=quantity(limits.get("memory", "0")),
    cpu_period=100000, cpu_quota=quantity(limits.get("cpu", "0")) * 100,
    cpu_shares=max(2, quantity(limits.get("cpu", "0")) * 1024 // 1000))
t0 = time.monotonic()
cid = container(c0["name"], hello_image, env=env, resources=res)
print(f"TIME  CreateContainer {ms(t0)}")
s, t_start, t_exit = run_to_exit(cid)
print(f"TIME  StartContainer {t_start}; StartContainer -> EXITED {t_exit}")
check(f"the pod's wasm container exited 0 ({s.reason})",
      s.state == pb.CONTAINER_EXITED and s.exit_code == 0, f"state={s.state} exit={s.exit_code}")
check("its output is in the CRI log file (kubectl logs)",
      " stdout F Hello WebAssembly in Docker!\n" in log_of(s), log_of(s)[-300:])
remove(cid)

# 2. env from the pod spec, and an exit code
cid = container("env", probe_image, args=["env"], env=env)
s, _, _ = run_to_exit(cid)
check("the pod spec's env reaches the guest", f"stdout F GREETING={env.get('GREETING')}\n" in log_of(s),
      log_of(s)[-300:])
remove(cid)
cid = container("exit3", probe_image, args=["exit", "3"])
s, _, _ = run_to_exit(cid)
check(f"ContainerStatus: exit code 3 ({s.reason})", s.exit_code == 3, f"exit={s.exit_code}")
remove(cid)

# 3. a running container: ContainerStats, the memory limit, StopContainer
cid = container("ticker", probe_image, args=["tick", "0", "50"], resources=res)
rt.StartContainer(pb.StartContainerRequest(container_id=cid))
s = wait_state(cid, pb.CONTAINER_RUNNING)
check("a long-running wasm container is RUNNING", s.state == pb.CONTAINER_RUNNING)
time.sleep(0.3)
stats = rt.ContainerStats(pb.ContainerStatsRequest(container_id=cid)).stats
check(f"ContainerStats: memory working set {stats.memory.working_set_bytes.value} bytes",
      stats.memory.working_set_bytes.value > 0)
check(f"ContainerStats: cpu {stats.cpu.usage_core_nano_seconds.value} ns",
      stats.cpu.usage_core_nano_seconds.value > 0)
limit_file = f"/sys/fs/cgroup/memory{cg_parent}/{cid}/memory.limit_in_bytes"
try:
    limit = int(open(limit_file).read())
except OSError:
    limit = -1
check(f"the pod's memory limit is the container cgroup's ({limit})",
      limit == res.memory_limit_in_bytes, limit_file)
t0 = time.monotonic()
rt.StopContainer(pb.StopContainerRequest(container_id=cid, timeout=5))
print(f"TIME  StopContainer (running, SIGTERM) {ms(t0)}")
s = status(cid)
check(f"StopContainer: SIGTERM stopped the guest (exit {s.exit_code})",
      s.state == pb.CONTAINER_EXITED and s.exit_code == 143)
check("the running container's output reached the log", "stdout F tick 1\n" in log_of(s))
rt.RemoveContainer(pb.RemoveContainerRequest(container_id=cid))

t0 = time.monotonic()
rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=sb))
rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=sb))
print(f"TIME  StopPodSandbox + RemovePodSandbox {ms(t0)}")
print(f"TIME  whole pod (4 containers) {ms(t_pod)}")
check("StopPodSandbox + RemovePodSandbox", True)
sys.exit(1 if fails else 0)
