"""GPU slots: concurrent jobs on one machine get disjoint devices; a dead job frees its slot."""

import subprocess
import sys
import threading

import pytest

from sftlab.gpu_slots import claim_gpus, try_claim, visible_gpus


def test_visible_gpus_follow_cuda_visible_devices_or_the_device_files(tmp_path):
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "2, 5"}) == ["2", "5"]
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": ""}) == []
    for name in ("nvidia0", "nvidia1", "nvidia10", "nvidiactl", "nvidia-uvm"):
        (tmp_path / name).touch()
    assert visible_gpus({}, dev=tmp_path) == ["0", "1", "10"]


def test_jobs_get_disjoint_devices_until_the_machine_is_full(tmp_path):
    devices = ["0", "1", "2", "3"]
    first = try_claim(1, devices, tmp_path)
    second = try_claim(2, devices, tmp_path)
    third = try_claim(1, devices, tmp_path)
    assert (first.devices, second.devices, third.devices) == (["0"], ["1", "2"], ["3"])
    assert try_claim(1, devices, tmp_path) is None
    second.release()
    assert try_claim(2, devices, tmp_path).devices == ["1", "2"]


def test_a_partial_claim_keeps_nothing(tmp_path):
    devices = ["0", "1"]
    held = try_claim(1, devices, tmp_path)
    assert try_claim(2, devices, tmp_path) is None
    assert try_claim(1, devices, tmp_path).devices == ["1"]  # "1" was not left locked
    held.release()


def test_claim_sets_cuda_visible_devices_and_waits_for_a_free_slot(tmp_path):
    env = {"CUDA_VISIBLE_DEVICES": "4,6"}
    first = claim_gpus(2, env=env, lock_dir=tmp_path)
    assert env["CUDA_VISIBLE_DEVICES"] == "4,6"
    waiting_env = {"CUDA_VISIBLE_DEVICES": "4,6"}
    result = {}
    waiter = threading.Thread(
        target=lambda: result.update(
            c=claim_gpus(1, env=waiting_env, lock_dir=tmp_path, poll_s=0.05)
        )
    )
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive()  # both GPUs are held
    first.release()
    waiter.join(5)
    assert waiting_env["CUDA_VISIBLE_DEVICES"] == "4" and result["c"].devices == ["4"]


def test_slurm_jobs_and_machines_without_gpus_claim_nothing(tmp_path):
    assert claim_gpus(1, env={"SLURM_JOB_ID": "7", "CUDA_VISIBLE_DEVICES": "0"}) is None
    assert claim_gpus(1, env={"CUDA_VISIBLE_DEVICES": ""}, lock_dir=tmp_path) is None
    with pytest.raises(RuntimeError, match="needs 4 GPUs but this machine shows 2"):
        claim_gpus(4, env={"CUDA_VISIBLE_DEVICES": "0,1"}, lock_dir=tmp_path)


def test_a_killed_job_frees_its_slot(tmp_path):
    code = (
        "import sys, time; from pathlib import Path; from sftlab.gpu_slots import try_claim; "
        f"c = try_claim(1, ['0'], Path({str(tmp_path)!r})); print('held', flush=True); "
        "time.sleep(60)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    assert try_claim(1, ["0"], tmp_path) is None
    holder.kill()
    holder.wait()
    assert try_claim(1, ["0"], tmp_path).devices == ["0"]
