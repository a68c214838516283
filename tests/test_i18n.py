"""中文 and English: the catalogs are complete, every page reads in Chinese, sessions keep their own language,
and the backend's codes, errors, figures and exported pictures are worded in the reader's language."""

from __future__ import annotations

import builtins
import io
import pickle
import re

import numpy as np
import pytest

from tests.app_helpers import ROOT, chart
from tests.i18n_helpers import english_sentences, english_words, visible_texts, visible_values
from vae.i18n import LOCALE_DIR, Text, fill, language_of, translations, translator

PO = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po"
zh = translator("zh")


def catalog():
    from babel.messages.pofile import read_po

    with open(PO, "rb") as f:
        return read_po(f)


def fields(text: str) -> list[str]:
    """A message's placeholders: str.format fields and Plotly's %{...} hover fields."""
    return sorted(re.findall(r"%?\{[^{}]*\}", text))


# ------------------------------------------------------------------ the catalog
def test_every_message_has_a_chinese_translation_with_the_same_placeholders():
    cat = catalog()
    messages = [m for m in cat if m.id]
    assert len(messages) > 600
    assert not [m.id for m in messages if not m.string], "untranslated: run `make messages` and translate"
    assert not [m.id for m in messages if m.fuzzy], "fuzzy entries: check and clear them"
    assert not list(cat.obsolete)
    wrong = [(m.id, m.string) for m in messages if fields(m.id) != fields(m.string)]
    assert not wrong, wrong
    symbols_only = {
        "-log p(x) (IWAE)",
        "log p(x) - ELBO",
        "E[x|z], z ~ {prior}, T = {t:g}",
        "factorvae gamma",
        "{filename}: {e}",
    }
    untranslated = [m.id for m in messages if not re.search(r"[\u4e00-\u9fff]", m.string) and len(m.id) > 12]
    assert set(untranslated) == symbols_only, "a message whose 'translation' has no Chinese character"


def test_the_catalog_holds_every_message_the_code_marks():
    """What `make messages` would extract now is what the catalog translates: no text was added without it."""
    from babel.messages.extract import extract_from_dir

    keywords = {"tr": None, "N_": None}  # as babel.cfg and `make messages` say
    MAPPING = [
        (line[len("[python: ") : -1], "python")
        for line in (ROOT / "babel.cfg").read_text().splitlines()
        if line.startswith("[python: ")
    ]
    assert len(MAPPING) == 4
    found = {
        msg if isinstance(msg, str) else msg[0]
        for _, _, msg, _, _ in extract_from_dir(str(ROOT), method_map=MAPPING, keywords=keywords, comment_tags=())
        if msg
    }
    found = {m for m in found if m}
    missing = found - {m.id for m in catalog() if m.id}
    assert not missing, f"run `make messages` and translate: {sorted(missing)[:5]}"


def test_the_compiled_catalog_is_the_current_one():
    """`make translations` compiled the .po as it is now (the build does it; a stale .mo shows old text)."""
    translations.cache_clear()
    stale = [m.id for m in catalog() if m.id and zh(m.id) != m.string]
    assert not stale, f"run `make translations`: {stale[:3]}"


def test_knobs_presets_pages_and_remedies_are_all_in_chinese():
    from ui.knob_widgets import SAME
    from ui.navigation import NAVIGATION
    from vae import wording
    from vae.config.knobs import KNOBS
    from vae.config.presets import PRESETS

    assert all(k.label for k in KNOBS.values())  # every knob declares its form label
    english = [k.label for k in KNOBS.values() if zh(k.label) == k.label and k.name not in ("beta", "alpha", "gamma")]
    english += [k.help for k in KNOBS.values() if zh(k.help) == k.help]
    english += [p for p in PRESETS if zh(p) == p]
    english += [t for section, pages in NAVIGATION.items() for t in (section, *(p[1] for p in pages)) if zh(t) == t]
    english += [t for t in wording.REMEDY_TITLES.values() if zh(t) == t]
    english += [t for t in (SAME, wording.WHAT_IS_COLLAPSE) if zh(t) == t]
    assert not english, english


def test_glossary_terms_are_used_as_the_chapter_names_them():
    """docs/glossary.md holds the chapter's terms; the catalog uses each Chinese term where the English one is."""
    glossary = (ROOT / "docs" / "glossary.md").read_text()
    rows = [r for r in re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|", glossary, re.M) if r[0] != "English"]
    assert len(rows) >= 20
    terms = {en.strip(): cn.strip() for en, cn in rows}
    for en in ("variational autoencoder", "encoder", "decoder", "prior", "posterior collapse", "disentanglement"):
        assert en in terms, en
    messages = [m for m in catalog() if m.id]
    for en, cn in terms.items():
        longer = [t for t in terms if t != en and re.search(rf"\b{re.escape(en)}\b", t)]  # "learning rate" ⊃ "rate"

        def use(text, en=en, longer=longer):
            for t in longer:
                text = re.sub(rf"\b{re.escape(t)}\b", " ", text, flags=re.I)
            return re.search(rf"\b{re.escape(en)}\b", text, re.I)

        uses = [m for m in messages if use(m.id)]
        off = [m.id for m in uses if cn.split(" ")[0] not in m.string]
        assert len(off) <= len(uses) // 4, (en, cn, off[:3])  # a term may be rephrased now and then, not as a rule


# ------------------------------------------------------------------ the backend's words
def test_backend_texts_keep_their_wording_across_processes_and_languages():
    from vae.errors import ConfigError

    t = Text(
        "saved {file}: {why}",
        file="a",
        why=[Text("add batch or layer normalization"), Text("use a smaller batch or fewer layers")],
    )
    assert t == "saved a: add batch or layer normalization; use a smaller batch or fewer layers"  # the CLI's English
    assert Text("{name}: got shape {shape}", name="x", shape=(2, 3)) == "x: got shape (2, 3)"
    again = pickle.loads(pickle.dumps(t))
    assert again == t and again.translated(zh) == t.translated(zh)
    assert "加入 batch 或 layer 归一化" in t.translated(zh)

    e = ConfigError("{name} must be an integer from {lo} to {hi}; got {value!r}", name="epochs", lo=1, hi=9, value=0)
    assert str(e) == "epochs must be an integer from 1 to 9; got 0"
    assert e.translated(zh) == "epochs 必须是 1 到 9 之间的整数；收到 0"
    assert pickle.loads(pickle.dumps(e)).translated(zh) == e.translated(zh)  # as a training process sends it
    assert fill("{x} nats", {"x": 1}) == "1 nats"
    assert language_of("zh-Hant-TW") == "zh" and language_of("en_GB") == "en" and language_of("fr-FR") is None


def test_a_refused_setting_and_a_diverged_run_are_explained_in_chinese():
    from vae.config import VAEConfig
    from vae.errors import ConfigError
    from vae.training.trainer import _diverged

    cfg = VAEConfig()
    cfg.latent_dim = 0
    with pytest.raises(ConfigError) as err:
        cfg.validate()
    assert "latent_dim" in err.value.translated(zh) and "整数" in err.value.translated(zh)
    boom = _diverged(12, 1, float("nan"), VAEConfig())
    assert str(boom).startswith("training diverged at step 12")
    assert boom.translated(zh).startswith("训练在第 12 步") and "降低学习率" in boom.translated(zh)


def test_the_collapse_verdict_is_worded_in_chinese_from_its_codes():
    from vae import wording

    rep = {
        "verdict": "collapsed",
        "cause": None,
        "latent_dim": 16,
        "active_units": 0,
        "rate": 0.01,
        "mutual_info": 0.0,
        "mutual_info_max": 5.9,
        "aggregate_num": 360,
        "beta": 50.0,
        "verdict_thresholds": {"collapsed_rate": 0.5, "partial_inactive_fraction": 0.25, "active_unit_threshold": 0.01},
    }
    en, cn = wording.explanation(rep), wording.explanation(rep, zh)
    assert en.startswith("Posterior collapse:") and "0 of 16" in en
    assert cn.startswith("后验坍塌：") and "16 个潜在维度中有 0 个" in cn
    remedy = {"code": "kl_warmup", "values": {"epochs": 5.0}}
    assert wording.remedy_reason(remedy, zh).endswith("在 5 轮内把权重升到 beta（Bowman 等人，2016）")


def test_figures_and_exported_pictures_carry_chinese_labels():
    from PIL import Image

    from vae.analysis.explore import Traversal
    from vae.figures.export import caption_font_path, traversal_bytes
    from vae.figures.plots import kl_bars, training_curves

    fig = kl_bars([0.5, 2.0, 0.1], tr=zh)
    assert fig.layout.title.text == "每个潜在维度的 KL" and fig.layout.xaxis.title.text == "维度"
    curves = training_curves(
        [{"epoch": 1, **{f"{s}_{k}": 1.0 for s in ("train", "test") for k in ("elbo", "reconstruction", "kl")}}], tr=zh
    )
    assert {t.name for t in curves.data} >= {"训练集 -ELBO", "测试集 重建"}

    images = np.random.default_rng(0).random((2, 3, 1, 8, 8)).astype(np.float32)
    trav = Traversal(dims=[1, 0], values=np.linspace(-2, 2, 3), z=np.zeros((2, 3, 2)), images=images, kl=None)
    plain = Image.open(io.BytesIO(traversal_bytes(trav, "png")))
    assert plain.size == (16 * (2 + 3 * 10), 16 * (2 + 2 * 10))  # no caption asked: the bare grid, enlarged
    assert caption_font_path() is not None, "no CJK font: install fonts-noto-cjk (make setup says how)"
    cn = np.asarray(Image.open(io.BytesIO(traversal_bytes(trav, "png", tr=zh))).convert("L"))
    en = np.asarray(Image.open(io.BytesIO(traversal_bytes(trav, "png", tr=translator("en")))).convert("L"))
    band = cn.shape[0] - plain.size[1]
    assert band > 10 and (cn[:band] < 128).any()  # a caption band with ink in it
    assert not np.array_equal(cn[:band], en[: en.shape[0] - plain.size[1]])
    # glyphs, not the empty boxes of a font without Chinese: two different words draw differently
    from vae.figures.export import captioned

    a = np.asarray(captioned(Image.new("L", (200, 20), 255), "潜在遍历").convert("L"))
    b = np.asarray(captioned(Image.new("L", (200, 20), 255), "后验坍塌").convert("L"))
    assert not np.array_equal(a, b)


# ------------------------------------------------------------------ the pages (AppTest)
def open_in(locale: str | None, page: str | None = None, lang: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if locale:
        at.context["locale"] = locale
    if lang:
        at.query_params["lang"] = lang
    at.run()
    if page:
        from ui.navigation import PAGE

        at.switch_page(PAGE[page]).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_every_page_in_chinese_shows_no_english_sentence(app_dir):
    from ui.navigation import PAGE
    from vae.config.datasets import DATASETS
    from vae.config.knobs import KNOBS

    names = {p.stem for p in app_dir.glob("*.safetensors")} | set(DATASETS)
    choices = {str(c) for k in KNOBS.values() for c in k.choices or ()}
    worded = set()  # the pages whose English values the word check finds: it can fail
    at = open_in("zh-CN")
    english_page = open_in("en-US")
    for key in PAGE:
        at.switch_page(PAGE[key]).run()
        assert not at.exception, (key, [e.message for e in at.exception])
        texts = visible_texts(at)
        assert len(texts) > 5 and any(re.search(r"[\u4e00-\u9fff]", t) for t in texts), key
        assert not english_sentences(texts, names), (key, english_sentences(texts, names))
        words = english_words(visible_values(at), names, choices)
        assert not words, (key, words)
        english_page.switch_page(PAGE[key]).run()  # the check can fail: the English page has sentences
        assert english_sentences(visible_texts(english_page), names), key
        if english_words(visible_values(english_page), names, choices):
            worded.add(key)
    assert {"traversals", "disentanglement", "home"} <= worded  # path options, factor names, table headers


def test_the_browser_language_the_link_and_the_switch_choose_the_language(app_dir):
    at = open_in("zh-CN")
    assert at.title[0].value == "VAE 潜在空间探索器" and at.query_params["lang"] == "zh"
    assert open_in("en-US").title[0].value == "VAE latent-space explorer"
    assert open_in(None).title[0].value == "VAE latent-space explorer"  # no language sent: English
    assert open_in("zh-CN", lang="en").title[0].value == "VAE latent-space explorer"  # the teacher's link wins
    at.sidebar.radio(key="lang").set_value("en").run()
    assert at.title[0].value == "VAE latent-space explorer" and at.query_params["lang"] == "en"
    at.switch_page("pages/diagnose/collapse.py").run()
    assert at.title[0].value == "Posterior collapse"  # kept across pages
    at.sidebar.radio(key="lang").set_value("zh").run()
    assert at.title[0].value == "后验坍塌"
    assert chart(at, "active_units")["layout"]["xaxis"]["title"]["text"] == "维度"


def test_two_sessions_keep_their_own_language(app_dir):
    a, b = open_in("zh-CN", "train"), open_in("en-US", "train")
    a.run()
    assert a.title[0].value == "训练一个 VAE" and b.title[0].value == "Train a VAE"
    b.sidebar.radio(key="lang").set_value("zh").run()
    a.sidebar.radio(key="lang").set_value("en").run()
    b.run()
    assert a.title[0].value == "Train a VAE" and b.title[0].value == "训练一个 VAE"
    assert a.selectbox(key="likelihood").label == "likelihood" and b.selectbox(key="likelihood").label == "似然"
    assert not hasattr(builtins, "_"), "a translation was installed process-wide"


def test_a_bad_upload_and_a_shared_link_s_bad_value_are_explained_in_chinese(app_dir, class_dir):
    at = open_in("zh-CN")
    at.sidebar.file_uploader(key="upload").upload("evil.safetensors", b"\x80\x04not a checkpoint").run()
    errors = [e.value for e in at.sidebar.error]
    assert errors and errors[0].startswith("evil.safetensors 未添加："), errors
    assert not list(class_dir.glob("*.safetensors"))

    from streamlit.testing.v1 import AppTest

    link = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    link.context["locale"] = "zh-CN"
    link.query_params["latent_dim"] = "abc"
    link.run()
    link.switch_page("pages/build/train.py").run()
    warnings = [w.value for w in link.warning]
    assert any("链接中的 latent_dim=abc 未被采用" in w and "必须是整数" in w for w in warnings), warnings


def test_a_training_s_progress_result_and_refusal_read_in_chinese(app_dir, class_dir, monkeypatch):
    from tests.app_helpers import wait_until

    at = open_in("zh-CN", "train")
    at.selectbox(key="dataset").select("digits").run()
    cap = next(c for c in at.caption if c.value.startswith("训练时间：在本服务器上约"))
    assert "在本服务器上" in cap.value and "每次训练的上限：5 min" in cap.value and "每轮" in cap.proto.help
    at.text_input(key="hidden").input("16")
    at.number_input(key="epochs").set_value(2)
    at.text_input(key="name").input("zh-run")
    at.button(key="start").click().run()
    wait_until(at, lambda a: a.success)
    assert at.success[0].value.startswith("已保存 zh-run.safetensors：测试 -ELBO")
    assert at.success[0].value.endswith("它现在是当前模型。")
    assert chart(at, "curves")["layout"]["title"]["text"] == "训练曲线"

    monkeypatch.setenv("VAE_MAX_TRAIN_SECONDS", "0.5")
    at.number_input(key="epochs").set_value(5000).run()
    assert any(
        e.value.startswith("无法开始：这次训练需要") and "本服务器每次训练允许 0.50 s" in e.value for e in at.error
    ), [e.value for e in at.error]
    assert at.button(key="start").disabled


def test_without_a_chinese_font_a_picture_keeps_no_caption_rather_than_empty_boxes(monkeypatch):
    from PIL import Image

    from vae.figures import export

    monkeypatch.setattr(export, "caption_font_path", lambda: None)
    img = Image.new("L", (120, 20), 255)
    assert export.captioned(img, "潜在遍历").size == (120, 20)
    assert export.captioned(img, "Latent traversal").size[1] > 20  # Pillow's own font draws Latin text
