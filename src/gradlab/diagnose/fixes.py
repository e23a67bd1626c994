"""The ranked fixes for each finding code, from the seed articles and the papers they lean on.

Each function takes the finding's evidence and the context (see :mod:`gradlab.diagnose.recommend`)
and returns recommendations best-first. Seeds: 002 (zero init, vanishing, dying ReLU: LeakyReLU),
003 (all-negative inputs: SELU with LeCun init), 004 (Xavier/He/LeCun init, ELU, BatchNorm,
gradient clipping by norm, Adam and schedules).
"""

from __future__ import annotations

from gradlab.components.activations import is_bounded
from gradlab.diagnose.recommend import act_name, dedupe, init_for, lookup, lr_times, rec, with_adam

LEAKY = "leaky_relu(0.1)"  # Maas et al. (2013) use 0.01; 0.1 keeps a stronger gradient alive


def _act(evidence: dict, context: dict | None) -> str | None:
    return act_name(lookup(context, "model.act")) or act_name(evidence.get("act"))


def dead_units(evidence: dict, context: dict | None) -> list[dict]:
    """Dead ReLU-family units: a non-dying activation with a matching init, then the rest."""
    restart = with_adam(
        rec(
            "LeakyReLU keeps a small gradient for z < 0, so a unit pushed into the negative region "
            "can come back (Maas et al., 2013); He init with zero biases (He et al., 2015) starts "
            "every unit near its active region instead of far below it.",
            model__act=LEAKY, model__init="he_normal", model__bias_init="zeros",
        ),
        context,
    )
    elu = rec("ELU has a non-zero gradient for z < 0 and pushes mean activations toward zero "
              "(Clevert et al., 2016).", model__act="elu", model__init="he_normal", model__bias_init="zeros")
    selu = rec("SELU with LeCun init self-normalizes and has no dead region; seed 003 found it the "
               "only activation that kept learning on all-negative inputs (Klambauer et al., 2017).",
               model__act="selu", model__init="lecun_normal", model__bias_init="zeros")
    he = rec("He init with zero biases puts pre-activations back around zero (He et al., 2015).",
             model__init="he_normal", model__bias_init="zeros")
    norm = rec("BatchNorm before the activation recentres each unit's input on every batch, so "
               "no unit stays below zero for the whole batch (Ioffe & Szegedy, 2015).", model__norm="batch")
    normalize = rec("Inputs that are all on one side of zero (seed 003) push whole units negative; "
                    "standardizing them centres the first layer's inputs.", task__normalize=True)
    recs = [restart, elu, selu, he, norm]
    lower = lr_times(context, 0.1)
    if lower is not None:
        lr_fix = rec("A step that is too large can knock units into the negative region for good; "
                     "a smaller learning rate avoids it.", train__lr=lower)
        # units that were alive at the start and died while training point at the step size
        recs.insert(0 if not evidence.get("from_init", True) else 4, lr_fix)
    if evidence.get("first_layer"):
        recs.insert(2, normalize)
    return dedupe(recs)


def vanishing_gradient(evidence: dict, context: dict | None) -> list[dict]:
    """Vanishing gradients: a ReLU-family activation with He init, BatchNorm, a faster optimizer."""
    if evidence.get("blocked_by"):  # a dead layer downstream stops the gradient: fix that first
        return dead_units({"from_init": evidence.get("from_init", True)}, context)
    act = _act(evidence, context)
    recs = []
    if act is None or is_bounded(act):
        recs.append(with_adam(rec(
            "Sigmoid and tanh multiply the gradient by at most 0.25 or 1 per layer and much less "
            "when saturated; a ReLU-family activation with He init passes it through at full "
            "strength (seed 002; He et al., 2015). LeakyReLU avoids the dying-ReLU trap of narrow nets.",
            model__act=LEAKY, model__init="he_normal", model__bias_init="zeros"), context))
    else:
        recs.append(with_adam(rec(
            "He init scales each layer so the gradient keeps its size through depth (He et al., 2015).",
            model__init=init_for(act), model__bias_init="zeros"), context))
    recs.append(rec("BatchNorm keeps every layer's input in the range where the activation's "
                    "derivative is large (Ioffe & Szegedy, 2015).", model__norm="batch"))
    if is_bounded(act):
        recs.append(rec("Xavier init keeps the variance of sigmoid/tanh layers constant with depth "
                        "(Glorot & Bengio, 2010).", model__init="xavier_normal", model__bias_init="zeros"))
    recs.append(rec("Adam rescales each parameter's step, so small gradients still move the weights.",
                    train__optimizer="adam"))
    return dedupe(recs)


def saturated_units(evidence: dict, context: dict | None) -> list[dict]:
    """Saturated sigmoid/tanh units: normalize inputs, Xavier init, a non-saturating activation."""
    normalize = rec("Large raw inputs drive the first layer deep into the flat tails of the "
                    "activation; standardized inputs keep it in the linear range.", task__normalize=True)
    xavier = rec("Xavier init sizes the weights so pre-activations keep unit variance through depth "
                 "(Glorot & Bengio, 2010).", model__init="xavier_normal", model__bias_init="zeros")
    relu = with_adam(rec("A ReLU-family activation does not saturate for z > 0 (seed 002, 004).",
                         model__act=LEAKY, model__init="he_normal", model__bias_init="zeros"), context)
    norm = rec("BatchNorm before the activation keeps its input centred and scaled.", model__norm="batch")
    recs = [normalize, xavier, relu, norm] if evidence.get("first_layer") else [xavier, normalize, relu, norm]
    return dedupe(recs)


def exploding_gradient(evidence: dict, context: dict | None) -> list[dict]:
    """Exploding gradients: clip by norm, lower the learning rate, a variance-preserving init."""
    act = _act(evidence, context)
    clip = rec("Clipping the gradient by its global norm bounds each step and keeps its direction "
               "(seed 004; Pascanu et al., 2013).", train__clip_norm=1.0)
    init = rec("A variance-preserving init keeps gradients from growing layer after layer "
               "(He et al., 2015; Glorot & Bengio, 2010).", model__init=init_for(act), model__bias_init="zeros")
    recs = [init, clip] if evidence.get("at_init") else [clip]
    lower = lr_times(context, 0.1)
    if lower is not None:
        slower = rec("A step too large for the curvature makes the loss and the gradients grow.", train__lr=lower)
        # a loss that blew up within a few steps is the learning rate's doing: that fix comes first
        recs.insert(0, slower) if "loss_peak" in evidence else recs.append(slower)
    recs.append(init)
    return dedupe(recs)


def gradients_not_reset(evidence: dict, context: dict | None) -> list[dict]:
    """Gradients never reset: one fix, in the user's loop (gradlab's own Trainer always resets)."""
    return [{"set": {}, "extra": {"train.zero_grad": True},
             "why": "PyTorch adds every backward pass into param.grad; without a reset each step "
                    "follows the sum of all gradients so far. Reset them once per step."}]


def trained_in_eval_mode(evidence: dict, context: dict | None) -> list[dict]:
    """Trained in eval mode: one fix, in the user's loop (gradlab's own Trainer sets the mode)."""
    return [{"set": {}, "extra": {"train.train_mode": True},
             "why": "model.eval() switches Dropout off and BatchNorm to its running statistics; "
                    "training needs model.train()."}]


def non_finite(evidence: dict, context: dict | None) -> list[dict]:
    """NaN/Inf: the fix depends on where it came from (data needs cleaning: nothing to set)."""
    if evidence.get("source") == "input":
        # the data itself holds NaN/Inf: no training setting repairs that. The one fix is to clean
        # the data; ``extra`` (not ``set``): a step for the user's own code, not a run-config key
        return [{"set": {}, "extra": {"task.nan_to_num": True},
                 "why": "The data holds NaN/Inf: clean it where it is loaded (drop or impute those rows). "
                        "Zeroing them on the way into the model is only a stop-gap that hides the broken rows."}]
    act = _act(evidence, context)
    recs = []
    lower = lr_times(context, 0.1)
    if lower is not None:
        recs.append(rec("Overflow usually follows steps that are too large: lower the learning rate.",
                        train__lr=lower))
    recs.append(rec("Clipping the gradient norm stops one bad batch from blowing the weights up.",
                    train__clip_norm=1.0))
    recs.append(rec("A variance-preserving init keeps activations and gradients in range.",
                    model__init=init_for(act), model__bias_init="zeros"))
    return dedupe(recs)


def symmetric_weights(evidence: dict, context: dict | None) -> list[dict]:
    """Identical rows: any random init breaks the symmetry; match it to the activation."""
    act = _act(evidence, context)
    init = init_for(act)
    return dedupe([
        rec("With equal weights every unit of a layer computes and learns the same thing (seed 002); "
            f"random {init} init breaks the tie and keeps the variance matched to {act or 'the activation'}.",
            model__init=init, model__bias_init="zeros"),
        rec("Any random init breaks symmetry; PyTorch's default is a safe fallback.", model__init="default"),
    ])


def poor_init_scale(evidence: dict, context: dict | None) -> list[dict]:
    """Activations shrinking or growing with depth: an init matched to the activation, BatchNorm."""
    act = _act(evidence, context)
    return dedupe([
        rec(f"{init_for(act)} keeps the activation variance constant from layer to layer for "
            f"{act or 'this activation'} (Glorot & Bengio, 2010; He et al., 2015).",
            model__init=init_for(act), model__bias_init="zeros"),
        rec("BatchNorm rescales each layer's input whatever the init (Ioffe & Szegedy, 2015).",
            model__norm="batch"),
    ])


def loss_not_decreasing(evidence: dict, context: dict | None) -> list[dict]:
    """A flat loss: a larger step, an adaptive optimizer, a warm-up-and-decay schedule."""
    recs = []
    lr = lookup(context, "train.lr")
    typical = _typical_lr(context)
    if isinstance(lr, (int, float)) and typical is not None and lr < typical / 100:
        # far too small (e.g. 1e-7 with Adam): a tenfold step would still stall; go to the usual range
        recs.append(rec(f"A learning rate of {lr:g} is far below the usual range for this optimizer "
                        f"(about {typical:g}): the updates cannot move the loss.", train__lr=typical))
    else:
        higher = lr_times(context, 10.0)
        if higher is not None:
            recs.append(rec("The updates are too small to move the loss: raise the learning rate tenfold.",
                            train__lr=higher))
    recs.append(rec("Adam adapts the step to each parameter's gradient scale (Kingma & Ba, 2015).",
                    train__optimizer="adam"))
    recs.append(rec("A cosine schedule starts with large steps and anneals them (Loshchilov & Hutter, 2017).",
                    train__schedule="cosine"))
    return dedupe(recs)


def oscillating_loss(evidence: dict, context: dict | None) -> list[dict]:
    """A loss that bounces without progress: a smaller step, a decaying schedule, clipping."""
    recs = []
    lower = lr_times(context, 0.1)
    if lower is not None:
        recs.append(rec("The step overshoots the minimum and bounces: lower the learning rate.",
                        train__lr=lower))
    recs.append(rec("A decaying schedule keeps the early progress and damps the bouncing later.",
                    train__schedule="cosine"))
    recs.append(rec("Clipping the gradient norm limits the overshoot of the largest steps.", train__clip_norm=1.0))
    return dedupe(recs)


def update_ratio(evidence: dict, context: dict | None) -> list[dict]:
    """Updates far too small or too large relative to the weights: move the learning rate."""
    ratio = evidence.get("update_ratio")
    target = 1e-3  # Karpathy's rule of thumb: update/weight around 1e-3
    if evidence.get("direction") == "small":
        recs = []
        if isinstance(ratio, (int, float)) and ratio > 0:
            higher = lr_times(context, min(1e3, max(10.0, target / ratio)))
            if higher is not None:
                recs.append(rec(f"Updates are {ratio:.1e} of the weights; about 1e-3 moves them "
                                "at a useful pace.", train__lr=higher))
        recs.append(rec("Adam makes the step size independent of the gradient scale.", train__optimizer="adam"))
        return dedupe(recs)
    recs = []
    lower = lr_times(context, 0.1)
    if lower is not None:
        recs.append(rec("Each step rewrites a large share of the weights: lower the learning rate.",
                        train__lr=lower))
    recs.append(rec("Clipping the gradient norm caps the size of each update.", train__clip_norm=1.0))
    return dedupe(recs)


def _typical_lr(context: dict | None) -> float | None:
    """The usual learning rate of the run's optimizer: 1e-4 for the Adam family (Transformers'
    usual 1e-4..1e-3), 1e-2 for SGD; None when the optimizer is unknown."""
    opt = act_name(lookup(context, "train.optimizer"))
    if opt in ("adam", "adamw", "nadam", "radam", "adamax", "rmsprop"):
        return 1e-4
    if opt in ("sgd", "momentum", "nesterov"):
        return 1e-2
    return None


def constant_prediction(evidence: dict, context: dict | None) -> list[dict]:
    """A loss stuck at the constant-prediction level: smaller early steps, warm-up, clipping."""
    recs = []
    lower = lr_times(context, 0.1)
    if lower is not None:
        recs.append(rec("Large early steps can collapse the outputs to the label prior; a smaller learning "
                        "rate lets the model leave it.", train__lr=lower))
    recs.append(rec("A warm-up ramps the learning rate up over the first steps, so the early updates "
                    "do not knock the model into the constant solution (Goyal et al. 2017).",
                    train__schedule="warmup(steps=1000)"))
    recs.append(rec("Clipping the gradient norm bounds the early spikes.", train__clip_norm=1.0))
    return dedupe(recs)


def pinned_activation(evidence: dict, context: dict | None) -> list[dict]:
    """A bounded layer pinned at a bound: Xavier init, a zero-centred activation, BatchNorm."""
    return dedupe([
        rec("Xavier init keeps each sigmoid/tanh layer's input in its linear range (Glorot & Bengio, 2010).",
            model__init="xavier_normal", model__bias_init="zeros"),
        rec("tanh is centred on 0, so a layer is not pushed towards a bound by the mean of its inputs; "
            "Glorot & Bengio (2010) saw the top sigmoid layer pinned at 0 where tanh kept working.",
            model__act="tanh", model__init="xavier_normal", model__bias_init="zeros"),
        rec("BatchNorm before the activation re-centres its input on every batch.", model__norm="batch"),
    ])


def self_normalization(evidence: dict, context: dict | None) -> list[dict]:
    """Broken SELU self-normalization: LeCun-normal init, AlphaDropout instead of Dropout.

    Neither is offered when the run already has it: LeCun-normal weights with zero biases, or no
    plain Dropout at all (a context that does not say keeps the advice).
    """
    init = str(lookup(context, "model.init") or "")
    bias = str(lookup(context, "model.bias_init") or "")
    recs = []
    if not (init.startswith("lecun_normal") and bias in ("zeros", "zero", "0", "0.0")):
        recs.append(rec("SELU self-normalizes only with LeCun-normal weights (variance 1/fan_in) and zero "
                        "biases (Klambauer et al., 2017).", model__init="lecun_normal", model__bias_init="zeros"))
    dropout = lookup(context, "model.dropout", "unknown")
    if dropout == "unknown" or (dropout and "alpha" not in str(dropout) and str(dropout) != "none"):
        recs.append(rec("Plain Dropout changes the variance SELU relies on; AlphaDropout keeps mean and "
                        "variance (Klambauer et al., 2017).", model__dropout="alpha_dropout(0.05)"))
    return dedupe(recs)
