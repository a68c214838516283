"""``eval``, ``info``, ``datasets`` and ``diagnose``: numbers about a checkpoint or the data."""

from __future__ import annotations

import json
from pathlib import Path

from vae import wording
from vae.cli.common import check_iwae_k, iwae_examples
from vae.config.datasets import kind_of
from vae.config.knobs import KNOBS
from vae.config.values import defaults, values_of
from vae.errors import ConfigError


def _scored_split(args, split: str):
    """The checkpoint of ``eval`` and ``diagnose`` on its device, and the split it is scored on:
    (checkpoint, dataset, x, factors), once ``--iwae-k`` is known to be usable."""
    from vae.analysis.evaluation import checkpoint_split
    from vae.models.checkpoints import load_checkpoint
    from vae.training.trainer import resolve_device

    check_iwae_k(args.iwae_k)
    ck = load_checkpoint(args.checkpoint, resolve_device(args.device))
    from vae.cli.common import say_data_file

    say_data_file(ck)
    ds, x, _, factors = checkpoint_split(ck, split, args.data_root)
    return ck, ds, x, factors


def cmd_encode(args) -> int:
    """The codes of one split as a plain .npz (no pickles), so that any number can be checked elsewhere:

    mu, sd        (N, D) float32: the mean and standard deviation of q(z|x) for each example (for a flow
                  posterior, the moments vae.models.flows.FlowPosterior estimates)
    labels        (N,) int64, and ``classes`` (their names) when the data has them
    factors       (N, K) float32 and ``factor_names`` (K,), where the data has generative factors
    checkpoint, dataset, split    what was encoded
    """
    import numpy as np

    from vae.analysis.evaluation import checkpoint_split
    from vae.analysis.explore import posterior
    from vae.cli.common import out_file, say_data_file
    from vae.models.checkpoints import load_checkpoint
    from vae.training.trainer import resolve_device

    out = out_file(args.out, (".npz",))
    ck = load_checkpoint(args.checkpoint, resolve_device(args.device))
    say_data_file(ck)
    ds, x, y, factors = checkpoint_split(ck, args.split, args.data_root)
    mu, sd = posterior(ck.model, x)
    arrays = {
        "mu": mu.astype(np.float32),
        "sd": sd.astype(np.float32),
        "labels": np.asarray(y, dtype=np.int64),
        "checkpoint": np.array(str(args.checkpoint)),
        "dataset": np.array(ds.name),
        "split": np.array(args.split),
    }
    if ds.classes:
        arrays["classes"] = np.array([str(c) for c in ds.classes])
    if factors is not None:
        arrays["factors"] = np.asarray(factors, dtype=np.float32)
        arrays["factor_names"] = np.array(list(ds.factor_names))
    np.savez(out, **arrays)
    extra = f", factors {', '.join(ds.factor_names)}" if factors is not None else ""
    print(f"wrote {out}: {len(mu)} {args.split} examples of {ds.name}, mu and sd of {mu.shape[1]} latents{extra}")
    return 0


def cmd_eval(args) -> int:
    from vae.analysis.evaluation import evaluate_full

    ck, ds, x, _ = _scored_split(args, "test")
    m = evaluate_full(ck.model, x, iwae_k=args.iwae_k, seed=ck.config.train.seed, iwae_num=iwae_examples(args, len(x)))
    keys = [
        "elbo",
        "reconstruction",
        "kl",
        "kl_per_dim",
        "active_units",
        "au_variance",
        "iwae_nll",
        "iwae_k",
        "iwae_num",
        "num_test",
    ]
    res = {k: m[k] for k in keys}
    from vae.analysis.inference import grid_nll, has_grid_nll

    if has_grid_nll(ck.model):  # -log p(x) itself, on the bound's examples
        res["nll"], res["nll_exact"] = grid_nll(ck.model, x[: m["iwae_num"]]), True
    else:
        res["nll"], res["nll_exact"] = m["iwae_nll"], False
    res["checkpoint"] = str(args.checkpoint)
    res["dataset"] = ds.name
    if args.json:
        print(json.dumps(res))
        return 0
    print(f"{args.checkpoint}  ({ds.name} test split, {m['num_test']} examples, nats per example)")
    print(f"  negative ELBO   {m['elbo']:10.3f}")
    print(f"  reconstruction  {m['reconstruction']:10.3f}")
    print(f"  KL              {m['kl']:10.3f}")
    if res["nll_exact"]:
        print(f"  -log p(x)       {res['nll']:10.3f}   (exact: integrated on a grid of the 2-D latent)")
    print(f"  IWAE -log p(x)  {m['iwae_nll']:10.3f}   (k={args.iwae_k}, {m['iwae_num']} examples; an upper bound)")
    print(f"  active units    {m['active_units']:4d} / {len(m['au_variance'])}")
    if m["kl_per_dim"] is not None:  # a flow posterior's KL does not split over dimensions
        print("  KL per dimension: " + " ".join(f"{v:.2f}" for v in m["kl_per_dim"]))
    return 0


# Each line of `vae info`: its title, the knob groups it covers and the knobs it always names (shown as a head,
# "mlp [32]"); every other knob of those groups is named when it is in use and differs from its default.
DESCRIBED = [
    ("dataset", ("data",), ("dataset",)),
    ("encoder", ("encoder",), ("arch", "hidden")),
    ("decoder", ("decoder",), ("decoder_arch", "decoder_hidden")),
    ("latent dim", ("latent",), ("latent_dim",)),
    ("likelihood", ("likelihood",), ("likelihood",)),
    ("objective", ("objective",), ("objective", "beta")),
    ("training", ("optimization",), ("epochs", "batch_size", "lr", "seed")),
]
HEAD_WORDS = {"epochs": "{} epochs", "batch_size": "batch {}", "lr": "lr {}", "seed": "seed {}", "beta": "beta {}"}


def _value(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def describe(cfg, kind: str | None = None) -> list[str]:
    """The configuration as `vae info` prints it, derived from the knobs' declarations: each line names its
    head knobs, then every other knob of its groups that is in use for this kind of data (``image``,
    ``tokens``, ``series``) and the other knobs' values, and differs from the default (``posterior iaf``,
    ``word_dropout 0.5``...). A decoder that mirrors the encoder says so."""
    kind = kind or kind_of(cfg.data.name)
    values, base = values_of(cfg), defaults()
    lines = []
    for title, groups, heads in DESCRIBED:
        head = [HEAD_WORDS.get(k, "{}").format(_value(values[k])) for k in heads if values[k] is not None]
        if title == "decoder" and not head:
            head = ["mirrors the encoder"]
        rest = [
            f"{name} {_value(values[name])}"
            for name, knob in KNOBS.items()
            if knob.group in groups
            and name not in heads
            and knob.in_use(values, kind)
            and values[name] is not None
            and values[name] != base[name]
        ]
        joined = (" " if title in ("encoder", "decoder") else ", ").join(head)
        lines.append(f"{title:<12} " + joined + (", " if head and rest else "") + ", ".join(rest))
    return lines


def cmd_info(args) -> int:
    from vae.config import VAEConfig
    from vae.models.checkpoints import SHAPE_KEY, read_metadata

    meta = read_metadata(args.checkpoint)
    if args.json:
        print(json.dumps(meta))
        return 0
    cfg = VAEConfig.from_dict(meta["config"])
    kind = (meta.get("modality") or {}).get("kind", "image")  # image, tokens or series
    print(f"{args.checkpoint}: {kind} shape {tuple(meta[SHAPE_KEY])}")
    for line in describe(cfg, kind):
        print("  " + line)
    h, m = meta["history"], meta["metrics"]
    if h:
        print(f"  history      {len(h)} epochs, {_num(h[-1]['seconds'], '.1f')} s")
        print("    epoch   train -ELBO   test -ELBO   test KL   active")
        for r in h if len(h) <= 12 else h[:3] + h[-8:]:
            print(
                f"    {_num(r['epoch'], 'g'):>5}   {_num(r['train_elbo']):>11}   {_num(r['test_elbo']):>10}   "
                f"{_num(r['test_kl']):>7}   {r['active_units']:6d}"
            )
    if m:
        print(
            f"  test         -ELBO {_num(m.get('elbo'))} (rec {_num(m.get('reconstruction'))}, "
            f"KL {_num(m.get('kl'))}), "
            f"active units {m.get('active_units', '-')}/{len(m.get('au_variance') or []) or '-'}"
        )
    return 0


def _num(value, spec: str = ".2f") -> str:
    """A stored number as ``spec`` formats it; "-" for one the file lacks (metrics may be partial or null)."""
    return "-" if isinstance(value, bool) or not isinstance(value, (int, float)) else format(value, spec)


def cmd_datasets(args) -> int:
    from vae.data.catalog import BUILTIN, is_available_offline
    from vae.data.dataset import default_data_root
    from vae.data.torchvision_sets import TORCHVISION

    root = Path(args.data_root) if args.data_root else default_data_root()
    rows = []
    for name, info in BUILTIN.items():
        avail = is_available_offline(name, root)
        rows.append(
            {
                "name": name,
                "description": info.description,
                "size": info.sizes,
                "offline": avail,
                "needs_download": name in TORCHVISION and not avail,
            }
        )
    if args.json:
        print(json.dumps({"data_root": str(root), "datasets": rows}))
        return 0
    print(f"data root for torchvision datasets: {root}")
    for r in rows:
        status = "offline" if r["offline"] else "needs download (or files in the data root)"
        print(f"  {r['name']:<14} {r['size']:<30} {status:<12}  {r['description']}")
    return 0


def cmd_diagnose(args) -> int:
    from vae.analysis.diagnostics import collapse_report
    from vae.analysis.evaluation import aggregate_inputs
    from vae.analysis.inference import inference_gaps
    from vae.analysis.reports import model_disentanglement

    ck, ds, x, factors = _scored_split(args, args.split)
    every = aggregate_inputs(ds, ck.config, x.device)  # q(z) of the whole data set, whichever split is scored
    rep = collapse_report(
        ck.model,
        x,
        iwae_k=args.iwae_k,
        seed=ck.config.train.seed,
        iwae_num=iwae_examples(args, len(x)),
        aggregate=every,
    )
    if factors is not None:  # fitted on the training split's codes, scored on the test split's
        dis = model_disentanglement(ck.model, ds)
        rep.update(
            mig=dis["mig"],
            sap=dis["sap"],
            dci=dis["dci"],
            factorvae_score=dis["factorvae_score"],
            factors=dis["factors"],
        )
    if args.gaps_examples < 0:
        raise ConfigError(f"--gaps-examples must be 0 or more, got {args.gaps_examples}")
    if args.gaps_examples:
        rep["inference_gaps"] = inference_gaps(ck.model, x, n=args.gaps_examples, seed=ck.config.train.seed)
    rep.update(checkpoint=str(args.checkpoint), dataset=ds.name, split=args.split)
    if args.json:
        print(json.dumps(rep))
        return 0
    print(f"{args.checkpoint}  ({ds.name} {args.split} split, {rep['num']} examples, nats per example)")
    print(f"  verdict         {rep['verdict'].upper()}")
    print(f"  rate (KL)       {rep['rate']:10.3f}")
    print(f"  distortion      {rep['distortion']:10.3f}")
    if rep["nll_exact"]:
        print(f"  -log p(x)       {rep['nll']:10.3f}   (exact: integrated on a grid of the 2-D latent)")
    print(f"  IWAE -log p(x)  {rep['iwae_nll']:10.3f}   (k={args.iwae_k}, {rep['iwae_num']} examples; an upper bound)")
    if rep["mutual_info"] is not None:
        mi, most = rep["mutual_info"], rep["mutual_info_max"]
        n = rep["aggregate_num"]
        print(f"  I(x;z)          {mi:10.3f}   (q(z) of {n} examples: at most log {n} = {most:.2f})")
    else:
        print("  I(x;z)          not estimated: it needs q(z|x') at every other example's code (a flow has no such)")
    print(f"  active units    {rep['active_units']:4d} / {rep['latent_dim']}")
    kl = rep["verdict_thresholds"]["informative_kl"]
    print(f"  units used      {rep['used_units']:4d} / {rep['latent_dim']}   (active, and at least {kl:g} nats each)")
    kd = rep["kl_decomposition"]
    if kd is not None:
        print(
            f"  KL = MI + TC + dimension-wise KL: {kd['index_code_mi']:.3f} + {kd['total_correlation']:.3f} + "
            f"{kd['dimwise_kl']:.3f}   (q(z) of {rep['aggregate_num']} examples, {rep['aggregate_outer']} codes)"
        )
    if rep["kl_order"] is not None:
        print("  KL per dim      " + " ".join(f"z{j}:{rep['kl_per_dim'][j]:.2f}" for j in rep["kl_order"]))
    if "mig" in rep:
        d = rep["dci"]
        print(
            f"  MIG {rep['mig']:.3f}   SAP {rep['sap']:.3f}   FactorVAE score {rep['factorvae_score']:.3f}   "
            f"DCI {d['disentanglement']:.3f} / {d['completeness']:.3f} / {d['informativeness']:.3f}"
        )
        for name, f in rep["factors"].items():
            print(f"    {name:<9} -> z{f['latent']:<3} MIG {f['mig']:.3f}  SAP {f['sap']:.3f}")
    if "inference_gaps" in rep:
        gp = rep["inference_gaps"]
        print(
            f"  inference gaps  log p(x) {gp['log_px']:.2f} = ELBO(q) {gp['elbo_amortized']:.2f} "
            f"+ amortization {gp['amortization_gap']:.2f} + approximation {gp['approximation_gap']:.2f}"
        )
        print(f"                  ({gp['num']} examples; log p(x): {gp['estimated_by']['log_px']})")
    print()
    print("  " + wording.explanation(rep))
    for r in rep["remedies"]:
        changes = ", ".join(f"{k}={v}" for k, v in r["changes"].items())
        print(f"  * {wording.remedy_title(r)}: {wording.remedy_reason(r)}  ({changes})")
    print(f"  ({wording.verdict_rules(rep)})")
    return 0
