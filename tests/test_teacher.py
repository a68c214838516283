"""A class shares the queue fairly, and the teacher (and only the teacher) can steer it and the class's models."""

from __future__ import annotations

import shutil
import time
from types import SimpleNamespace

import pytest

from tests.app_helpers import open_app
from tests.conftest import tiny_config
from vae.errors import ConfigError
from vae.i18n import translator
from vae.service.jobs import TrainingQueue


@pytest.fixture
def busy_queue(tmp_path):
    """A queue whose one slot is taken by a long run of student A's; every job is stopped afterwards."""
    q = TrainingQueue(tmp_path, max_running=1, max_per_owner=2)
    long = q.submit(tiny_config(train__epochs=500), "a1", owner="A", estimate=SimpleNamespace(total_seconds=100.0))
    deadline = time.monotonic() + 60
    while long.state != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    yield q
    for j in q.jobs():
        q.cancel(j.id)
    for j in q.jobs():
        q.wait(j, 60)


def names(jobs) -> list[str]:
    return [j.name for j in jobs]


def test_the_line_is_round_robin_across_students(busy_queue):
    q = busy_queue
    est = SimpleNamespace(total_seconds=20.0)
    a2 = q.submit(tiny_config(), "a2", owner="A", estimate=est)
    b1 = q.submit(tiny_config(), "b1", owner="B", estimate=est)
    b2 = q.submit(tiny_config(), "b2", owner="B", estimate=est)
    c1 = q.submit(tiny_config(), "c1", owner="C", estimate=est)
    # everyone's first run before anyone's second, then the seconds in the order they came
    assert names(q.waiting()) == ["b1", "c1", "a2", "b2"]
    assert [q.position(j) for j in (b1, c1, a2, b2)] == [1, 2, 3, 4]
    # the estimated start: the running job's time left, then each run ahead of it
    now = time.time()
    first = q.seconds_to_start(b1, now)
    assert first >= 0
    assert q.seconds_to_start(c1, now) == pytest.approx(first + 20, abs=1)
    assert q.seconds_to_start(b2, now) == pytest.approx(first + 60, abs=1)
    assert q.seconds_to_start(q.running()[0]) == 0


def test_each_student_may_have_two_runs_waiting_or_running(busy_queue):
    q = busy_queue
    q.submit(tiny_config(), "a2", owner="A")
    with pytest.raises(ConfigError) as refused:
        q.submit(tiny_config(), "a3", owner="A")
    assert "you already have 2 training(s) queued or running" in str(refused.value)
    assert "已有 2 个" in refused.value.translated(translator("zh"))
    q.submit(tiny_config(), "b1", owner="B")  # another student is not held back
    assert names(q.waiting()) == ["b1", "a2"]


def test_the_teacher_can_move_a_run_to_the_front_and_cancel_any(busy_queue):
    q = busy_queue
    a2 = q.submit(tiny_config(), "a2", owner="A")
    b1 = q.submit(tiny_config(), "b1", owner="B")
    c1 = q.submit(tiny_config(), "c1", owner="C")
    assert q.move_to_front(a2.id) and names(q.waiting()) == ["a2", "b1", "c1"]
    assert q.move_to_front(c1.id) and names(q.waiting()) == ["a2", "c1", "b1"]  # moved later, goes later
    assert q.cancel(b1.id) and q.wait(b1, 30) and b1.state == "stopped"
    assert names(q.waiting()) == ["a2", "c1"]
    running = q.running()[0]
    assert not q.move_to_front(running.id)  # only a waiting run can jump the line
    assert q.cancel(running.id) and q.wait(running, 60)
    deadline = time.monotonic() + 30
    while a2.state == "queued" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert a2.state in ("running", "done") and (c1.state == "queued" or c1.started >= a2.started)


# ------------------------------------------------------------------ the teacher's page
def test_without_a_token_set_the_teacher_s_view_is_off(app_dir, monkeypatch):
    monkeypatch.delenv("VAE_TEACHER_TOKEN", raising=False)
    at = open_app("teacher")
    assert any("VAE_TEACHER_TOKEN" in i.value for i in at.info)
    assert not at.text_input and not at.button and not at.dataframe


def test_a_student_without_the_token_reaches_no_control(app_dir, monkeypatch):
    monkeypatch.setenv("VAE_TEACHER_TOKEN", "s3cret-token")
    at = open_app("teacher")
    assert [b.proto.label for b in at.button] == ["Sign in"] and not at.dataframe  # only the token field
    at = _submit(at, "guess")
    assert any("not the teacher's token" in e.value for e in at.error)
    assert [b.proto.label for b in at.button] == ["Sign in"] and not at.dataframe


def _submit(at, token: str):
    at.text_input(key="teacher_token").input(token)
    at.button[0].click().run()  # the sign-in form's button
    return at


def test_the_teacher_publishes_and_deletes_a_class_model(app_dir, class_dir, monkeypatch):
    monkeypatch.setenv("VAE_TEACHER_TOKEN", "s3cret-token")
    class_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(app_dir / "digits-z2.safetensors", class_dir / "students-model.safetensors")
    at = _submit(open_app("teacher"), "s3cret-token")
    assert not at.exception, [e.message for e in at.exception]
    table = at.dataframe[0].value
    assert list(table["model"]) == ["students-model"] and table["test -ELBO"].iloc[0] > 0
    assert table["student"].iloc[0] == "-"  # copied in by hand: no owner recorded
    shutil.copy(app_dir / "digits-z2.safetensors", class_dir / "digits-z2.safetensors")  # a shared name, hidden
    shutil.copy(app_dir / "sprites-z4.safetensors", class_dir / "to-delete.safetensors")
    at.run()
    at.selectbox(key="teacher_model").select("students-model")
    at.button(key="publish").click().run()
    assert any("Published as students-model among the shared models" in s.value for s in at.success)
    assert (app_dir / "students-model.safetensors").exists()  # now shared, read-only for the class
    assert not (class_dir / "students-model.safetensors").exists()
    assert list(at.dataframe[0].value["model"]) == ["to-delete"]
    at.button(key="teacher_delete").click().run()
    assert not (class_dir / "to-delete.safetensors").exists()
    assert any("No student has trained" in c.value for c in at.caption)
    from vae.service.storage import publish

    (class_dir / "again.safetensors").write_bytes((app_dir / "students-model.safetensors").read_bytes())
    assert publish(class_dir / "again.safetensors").name == "again.safetensors"
    (class_dir / "again.safetensors").write_bytes((app_dir / "again.safetensors").read_bytes())
    assert publish(class_dir / "again.safetensors").name == "again-2.safetensors"  # never a replacement


# ------------------------------------------------------------------ usable at once
def test_a_finished_model_is_saved_first_and_its_reports_follow_in_the_background(tmp_path):
    from vae.analysis.reports import stored_reports
    from vae.models.checkpoints import load_checkpoint
    from vae.service.background import BackgroundReports

    reports = BackgroundReports()
    q = TrainingQueue(tmp_path, reports=reports)
    job = q.submit(tiny_config(train__epochs=2), "quick", owner="A")
    assert q.wait(job, 120) and job.state == "done"
    saved = load_checkpoint(job.checkpoint)
    assert reports.wait(job.checkpoint, 120) and not reports.pending(job.checkpoint)
    ck = load_checkpoint(job.checkpoint)
    if "reports" not in saved.extra:  # (on a slow machine the page may read it before; here: after)
        assert saved.digest != ck.digest
    rep = stored_reports(ck.extra)
    assert rep is not None and rep["collapse"]["iwae_k"] == 100
    assert ck.history == saved.history and ck.metrics == saved.metrics and ck.extra["owner"] == "A"
    assert str(job.checkpoint) in reports.done


def test_reports_are_stored_only_into_the_file_they_were_computed_from(tmp_path, digits_checkpoint, monkeypatch):
    import vae.models.checkpoints as checkpoints
    from vae.models.checkpoints import load_checkpoint
    from vae.service import worker

    path = tmp_path / "m.safetensors"
    shutil.copy(digits_checkpoint, path)
    worker.add_reports(str(path), nice=0)  # in this process: the child's work
    assert load_checkpoint(path).extra["reports"]["collapse"]["iwae_k"] == 100

    gone = tmp_path / "gone.safetensors"
    shutil.copy(digits_checkpoint, gone)
    original = checkpoints.load_checkpoint

    def load_then_delete(p, *a, **kw):  # the student deletes the model while its reports are computed
        ck = original(p, *a, **kw)
        gone.unlink()
        return ck

    monkeypatch.setattr(checkpoints, "load_checkpoint", load_then_delete)
    worker.add_reports(str(gone), nice=0)
    assert not gone.exists() and not list((tmp_path / ".partial").glob("*"))


def test_the_pages_say_the_reports_are_coming_and_fill_in_when_they_are_there(app_dir, class_dir, monkeypatch):
    from ui import compute

    class_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(app_dir / "digits-z2.safetensors", class_dir / "fresh.safetensors")
    from safetensors import safe_open

    with safe_open(str(class_dir / "fresh.safetensors"), "pt") as f:  # a model saved without its reports
        has_reports = '"reports"' in f.metadata()["extra"]
    if has_reports:
        from vae.models.checkpoints import load_checkpoint, save_checkpoint

        ck = load_checkpoint(class_dir / "fresh.safetensors")
        extra = {k: v for k, v in ck.extra.items() if k != "reports"}
        save_checkpoint(class_dir / "fresh.safetensors", ck.model, ck.history, ck.metrics, ck.dataset, extra)
    pending = {"on": True}
    monkeypatch.setattr(compute, "reports_pending", lambda path: pending["on"])
    at = open_app("collapse", model="fresh")
    assert any("are being computed in the background" in i.value for i in at.info)
    assert not at.success and not at.warning and not at.error  # no verdict yet
    pending["on"] = False
    at.run()
    assert not any("being computed" in i.value for i in at.info)
    assert any("Verdict" in m.value for m in (*at.success, *at.warning, *at.error))
