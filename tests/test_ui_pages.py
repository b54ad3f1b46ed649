"""Every page of the review UI under Streamlit's AppTest, on a run written by the tests (tests/ui_fixtures.py)."""
import os

import pyarrow.parquet as pq
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from curation_ui.store import DecisionStore, default_db_url
from tests.ui_fixtures import HOSTILE_CAPTION, make_run

PAGES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "curation_ui", "app_pages")
APP = os.path.join(os.path.dirname(PAGES), "app.py")


@pytest.fixture
def run(tmp_path, monkeypatch):
    run = make_run(tmp_path / "run", n_images=16, media_dir=str(tmp_path / "media"))
    monkeypatch.setenv("FRAMESIFT_RUN", run)
    monkeypatch.delenv("FRAMESIFT_DB", raising=False)
    monkeypatch.delenv("FRAMESIFT_REVIEW_CONFIG", raising=False)
    return run


def page(name, reviewer="alice", **state):
    at = AppTest.from_file(os.path.join(PAGES, f"{name}.py"), default_timeout=30)
    if reviewer:
        at.session_state["reviewer"] = reviewer
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def texts(at):
    return [t.value for t in at.text]


def current(at):
    return next(t for t in texts(at) if t.startswith("Current ("))


def no_data_in_markdown(at):
    """Captions and file names are data: they must never reach a Markdown/HTML element."""
    for el in list(at.markdown) + list(at.caption) + list(at.success) + list(at.warning) + list(at.info):
        assert "<script" not in el.value and "onerror" not in el.value and "javascript:" not in el.value


@pytest.mark.parametrize("name", ["queue", "item", "duplicates", "stats", "feedback", "export"])
def test_every_page_renders(run, name):
    at = page(name)
    assert not at.exception, at.exception
    no_data_in_markdown(at)


def test_app_entrypoint_routes_to_the_queue(run):
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception, at.exception
    assert any(t.value.startswith("Current (1 of") for t in at.text)


def test_queue_approve_with_the_decision_bar_records_and_advances(run):
    at = page("queue")
    assert current(at).startswith("Current (1 of 17") and "astronaut_0.jpg" in current(at)
    at.button(key="kb_approve").click().run()
    store = DecisionStore(default_db_url(run))
    assert store.get("img000").decision == "approve" and store.get("img000").reviewer == "alice"
    assert "approve recorded for astronaut_0.jpg — u undoes it" in " ".join(texts(at))   # named by file, not id
    assert current(at).startswith("Current (1 of 16") and "coffee_1.jpg" in current(at)  # next undecided
    at.session_state["reject_reason"] = "off_topic"
    at.button(key="kb_reject").click().run()
    assert store.get("img001").decision == "reject" and store.get("img001").reason == "off_topic"
    assert [e.value for e in store.audit()] == ["reject", "approve"]
    at.button(key="kb_undo").click().run()                 # an audited change back to undecided, not a delete
    assert store.get("img001") is None and [e.kind for e in store.audit()] == ["undo", "decision", "decision"]
    assert "Undone: coffee_1.jpg is undecided again." in " ".join(texts(at))
    assert current(at).startswith("Current (1 of 16") and "coffee_1.jpg" in current(at)


def test_queue_conflict_is_shown_not_overwritten(run):
    at = page("queue")                                   # alice sees img000 undecided
    DecisionStore(default_db_url(run)).decide("img000", "reject", "bob", "blurry")   # bob decides meanwhile
    at.button(key="kb_approve").click().run()
    store = DecisionStore(default_db_url(run))
    assert store.get("img000").decision == "reject"
    assert any("Conflict" in w.value for w in at.warning)
    assert any(t.startswith("astronaut_0.jpg: bob set it to reject") for t in texts(at))
    at.button(key="conflict_overwrite").click().run()
    d = store.get("img000")
    assert (d.decision, d.reviewer, d.previous, d.version) == ("approve", "alice", "reject", 2)


def test_queue_filters_sort_and_hostile_names_as_text(run):
    at = page("queue", f_keep="rejected", f_state=[], f_sort="sharpness", f_desc=True)
    assert not at.exception
    first = current(at)
    # rejected: img000/4/8/12 (blurry) and img006 (dedupe), the sharpest first
    assert first.startswith("Current (1 of 5") and "chelsea_6.jpg" in first
    at = page("queue", f_state=[])
    at.button(key="kb_next").click().run()
    at.button(key="kb_next").click().run()
    at.button(key="kb_next").click().run()
    assert "<img src=x onerror=alert(1)>.jpg" in current(at)
    no_data_in_markdown(at)


def test_queue_batch_on_this_page(run):
    at = page("queue", f_reasons=["sharpness:too_blurry"])
    at.selectbox(key="batch_decision").set_value("flag")
    at.checkbox(key="batch_confirm").check().run()
    at.button(key="batch_apply").click().run()
    assert not at.exception
    assert DecisionStore(default_db_url(run)).counts() == {"flag": 4}


def test_queue_asks_for_a_name_before_deciding(run):
    at = page("queue", reviewer=None)
    assert at.button(key="kb_approve").disabled
    assert any("Reviewer" in i.value for i in at.info)


def test_item_page_scores_reasons_caption_and_decision(run):
    at = AppTest.from_file(os.path.join(PAGES, "item.py"), default_timeout=30)
    at.session_state["reviewer"] = "alice"
    at.query_params["item"] = "img003"
    at.run()
    assert not at.exception
    assert f"caption: {HOSTILE_CAPTION}" in texts(at)
    no_data_in_markdown(at)
    scores = at.dataframe[0].value
    assert "sharpness" in set(scores["score"]) and "filters.sharpness.min" in " ".join(scores["rule"])
    assert any("showing the preview" in t and "--media-root" in t for t in texts(at))
    assert any(s.value == "No failing checks (the pipeline kept it)" for s in at.subheader)
    at.button(key="kb_flag").click().run()
    assert DecisionStore(default_db_url(run)).get("img003").decision == "flag"


def test_item_page_rejected_item_and_original_from_media_root(run, tmp_path, monkeypatch):
    monkeypatch.setenv("FRAMESIFT_REVIEW_CONFIG", yaml.safe_dump({"media_roots": [str(tmp_path / "media")]}))
    at = AppTest.from_file(os.path.join(PAGES, "item.py"), default_timeout=30)
    at.query_params["item"] = "img004"
    at.run()
    assert not at.exception
    assert at.subheader[0].value == "Failing checks"           # the page leads with why it was rejected
    failing = at.table[0].value
    assert list(failing.index) == ["sharpness: too_blurry"]
    line = failing.iloc[0]
    assert (line["score"], line["rule (to pass)"], line["threshold"], line["set with"]) == (
        "sharpness", "sharpness >= 0.005", 0.005, "filters.sharpness.min")
    assert line["value"] == pytest.approx(0.003)
    assert not any("showing the preview" in t for t in texts(at))      # the original itself was shown


def test_duplicates_page_changes_the_representative(run):
    at = page("duplicates")
    assert any(t.startswith("group grpA · 3 items · representative: img001") for t in texts(at))
    at.button(key="rep_grpA_img005").click().run()
    assert DecisionStore(default_db_url(run)).representatives()["grpA"].item_id == "img005"
    assert any(t.startswith("group grpA · 3 items · representative: img005 (chosen by alice)") for t in texts(at))


def test_duplicates_page_without_groups(tmp_path, monkeypatch):
    run = make_run(tmp_path / "run", n_images=1)       # img000 only: no group has two members
    monkeypatch.setenv("FRAMESIFT_RUN", run)
    at = page("duplicates")
    assert not at.exception and any("No duplicate groups" in i.value for i in at.info)


def test_stats_page_with_decisions(run):
    store = DecisionStore(default_db_url(run))
    store.decide("img001", "approve", "alice")
    store.decide("img002", "reject", "bob", "blurry")
    at = page("stats", stats_score="sharpness")
    assert not at.exception
    assert [m.value for m in at.metric][:2] == ["17", "2"]
    assert any(t.startswith("Items kept at threshold t (sharpness >= 0.005") for t in texts(at))


def test_feedback_page_fits_and_suggests(run):
    store = DecisionStore(default_db_url(run))
    for i in range(16):
        store.decide(f"img{i:03d}", "approve" if i % 4 else "reject", "alice", None if i % 4 else "blurry")
    at = page("feedback")
    at.button(key="fb_run").click().run()
    assert not at.exception
    assert os.path.exists(os.path.join(run, "feedback", "feedback.json"))
    assert any("Last fitted" in t for t in texts(at))
    said = [e.value for e in list(at.success) + list(at.warning)]
    assert any(v.startswith("On 16 held-back decisions") and "the preference model agrees with the reviewers" in v
               and "chance" in v for v in said), said


def test_export_page_writes_under_the_run_only(run):
    DecisionStore(default_db_url(run)).decide("img000", "approve", "alice")
    at = page("export")
    at.button(key="export_go").click().run()
    assert not at.exception
    out = os.path.join(run, "export", "approved.parquet")
    assert "img000" in pq.read_table(out).column("item_id").to_pylist()
    at.text_input(key="export_output").input("../../escaped.parquet").run()
    at.button(key="export_go").click().run()
    assert at.error and not os.path.exists(os.path.join(os.path.dirname(run), "escaped.parquet"))


def test_oidc_login_when_auth_is_configured(run):
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "s",
                          "client_id": "c", "client_secret": "x",
                          "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}
    at.run()
    assert not at.exception, at.exception
    assert at.sidebar.button(key="login").label == "Log in to review"
    assert not [t for t in at.sidebar.text_input if t.key == "reviewer"]     # no self-declared names then


def test_item_page_shows_the_preview_when_the_original_cannot_be_displayed(run, tmp_path, monkeypatch):
    """A 5000x1 original: Streamlit scales it to the page width, 0 pixels high, and Pillow refuses; the page fell
    over instead of showing the preview."""
    import glob
    from PIL import Image
    monkeypatch.setenv("FRAMESIFT_REVIEW_CONFIG", yaml.safe_dump({"media_roots": [str(tmp_path / "media")]}))
    original = sorted(glob.glob(str(tmp_path / "media" / "*_4.jpg")))[0]       # img004's original
    Image.new("RGB", (5000, 1), (90, 120, 30)).save(original, format="JPEG")
    at = AppTest.from_file(os.path.join(PAGES, "item.py"), default_timeout=30)
    at.query_params["item"] = "img004"
    at.run()
    assert not at.exception, at.exception
    assert any(t.startswith("showing the preview: the original cannot be displayed") for t in texts(at))
