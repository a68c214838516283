"""The chapter as a map: its outline, its claims in short, and for each the page and shipped model that show it.

The chapter on designing a VAE's encoder and decoder runs: the encoder, the decoder, general principles, the CNN
example, effects on the ELBO, and a preview of advanced designs. Under each heading, :data:`CHAPTER` lists its
claims (English, translated in the catalogs; the chapter's own Chinese words where the issues quote them) and
where the app demonstrates each: a page of ``ui.navigation.PAGE`` opened on a shipped model
(``vae.config.shipped``), with the flags that train it; or, plainly, that the app does not show it yet.
``pages/start/chapter.py`` draws it; the tests walk every link.
"""

from __future__ import annotations

from dataclasses import dataclass

from vae.config.shipped import LESSONS
from vae.i18n import N_


@dataclass(frozen=True)
class Claim:
    says: str  # the claim in short, in English (N_: translated where drawn)
    page: str | None = None  # the key of ui.navigation.PAGE that shows it; None: the app does not show it
    model: str | None = None  # the shipped model the page opens on (None: whichever is current)
    flags: str = ""  # the design choice as command-line flags (the Train form's field of the same name)
    words: str = ""  # the chapter's own words, where quoted
    missing: str = ""  # when page is None: what the app lacks (N_)


def _m(lesson: str, role: str) -> str:
    return LESSONS[lesson][role].model


CHAPTER: tuple[tuple[str, tuple[Claim, ...]], ...] = (
    (
        N_("The encoder"),
        (
            Claim(
                N_("The encoder maps x to the parameters of q(z|x): a mean and a variance for each latent dimension."),
                "encoder",
                "mnist5k-mlp-z2",
                "--latent-dim 2",
            ),
            Claim(
                N_("Convolutions for images: strided layers down to a vector, then the mean and log-variance heads."),
                "samples",
                _m("batch norm", "none"),
                "--arch cnn",
            ),
            Claim(
                N_("Recurrent networks (GRU, LSTM) or a Transformer read text."),
                "text_decoders",
                _m("text decoders", "gru"),
                "--dataset names --arch gru",
            ),
            Claim(
                N_("Recurrent and Transformer encoders for time series."),
                "encoder",
                _m("series encoders", "gru"),
                "--dataset waves --arch gru|lstm|transformer",
            ),
            Claim(
                N_(
                    "The latent size d_z: too small loses detail; too large leaves units unused, switched off by the "
                    "KL."
                ),
                "latent_size",
                _m("latent size", "64"),
                "--latent-dim 64",
            ),
        ),
    ),
    (
        N_("The decoder"),
        (
            Claim(
                N_("The output layer and the data likelihood are the most central part of the decoder's design."),
                "likelihood",
                _m("likelihood", "per-pixel"),
                "--likelihood bernoulli|gaussian|categorical",
                "解码器设计中非常核心的部分",
            ),
            Claim(
                N_("Binary data: a Bernoulli, its mean through a sigmoid."),
                "likelihood",
                _m("likelihood", "binarized"),
                "--binarize dynamic",
            ),
            Claim(
                N_(
                    "Real values: a Gaussian, its mean through a sigmoid, a linear or a tanh output (data scaled to "
                    "[-1, 1]); its variance fixed, learned or one per pixel."
                ),
                "likelihood",
                _m("likelihood", "tanh"),
                "--likelihood gaussian --output-activation tanh --data-range -1,1 --variance fixed|learned|per-pixel",
            ),
            Claim(
                N_("A fixed variance is a hidden beta: sigma^2 = 1 on [0, 1] data collapses the posterior."),
                "likelihood",
                _m("hidden beta", "1"),
                "--likelihood gaussian --sigma 1",
            ),
            Claim(
                N_("Quantised (colour) images: a categorical over the levels, a softmax for each pixel and channel."),
                "likelihood",
                _m("colour", "categorical"),
                "--dataset mnist5k-colour --likelihood categorical --bins 32",
            ),
        ),
    ),
    (
        N_("General principles"),
        (
            Claim(
                N_("ReLU and its variants (LeakyReLU, ELU) against vanishing gradients; ReLU units can die."),
                "gradient_flow",
                _m("gradient flow", "relu"),
                "--activation relu|leaky_relu|elu",
            ),
            Claim(
                N_("Xavier (Glorot) initialisation for tanh or sigmoid layers, He for ReLU: a stable gradient flow."),
                "gradient_flow",
                _m("gradient flow", "tanh-default"),
                "--activation tanh --init xavier",
            ),
            Claim(
                N_("Residual blocks help train deeper encoders and decoders."),
                "gradient_flow",
                _m("gradient flow", "plain"),
                "--arch resnet --blocks 4",
            ),
            Claim(
                N_(
                    "Batch norm makes the examples of a batch depend on each other, against the per-example nature of "
                    "the reconstruction and KL terms; layer norm does not."
                ),
                "batch_norm",
                _m("batch norm", "batch"),
                "--norm batch|layer",
                "批归一化在批次中引入样本间的依赖性",
            ),
            Claim(
                N_("Batch or layer norm can stabilise training and may allow a higher learning rate."),
                "compare",
                _m("batch norm", "batch"),
                "--norm batch --lr 0.03",
            ),
            Claim(
                N_(
                    "Too much capacity for too little data overfits: the test -ELBO rises while the training one falls."
                ),
                "overfitting",
                _m("overfitting", "wide"),
                "--hidden 512 --train-size 200",
            ),
            Claim(
                N_("L2 weight decay and dropout regularise, dropout applied sparingly."),
                "overfitting",
                _m("overfitting", "dropout"),
                "--dropout 0.3 --weight-decay 1 --early-stopping",
                "往往是少量应用",
            ),
            Claim(
                N_("Symmetry is common but not required: a stronger decoder than the encoder for generation quality."),
                "strong_decoders",
                _m("symmetry", "wide"),
                "--decoder-hidden 64 128",
            ),
        ),
    ),
    (
        N_("The CNN example"),
        (
            Claim(
                N_("A convolutional VAE on MNIST: its reconstructions and its samples from the prior."),
                "samples",
                _m("batch norm", "none"),
                '--preset "CNN on MNIST"',
            ),
            Claim(
                N_("Each latent dimension, slid on its own, changes the digit smoothly."),
                "traversals",
                _m("batch norm", "none"),
                '--preset "CNN on MNIST"',
            ),
            Claim(
                N_("Its latent space: q(z|x) of the test digits, mapped in two dimensions."),
                "latent_map",
                _m("batch norm", "none"),
                '--preset "CNN on MNIST"',
            ),
        ),
    ),
    (
        N_("Effects on the ELBO"),
        (
            Claim(
                N_(
                    "The ELBO is reconstruction minus KL; beta trades one against the other: the rate-distortion plane."
                ),
                "compare",
                "mnist5k-mlp-z16",
                "--beta 4",
            ),
            Claim(
                N_("Posterior collapse: the KL wins, q(z|x) = p(z); KL warm-up or free bits bring z back."),
                "collapse",
                "mnist5k-mlp-z16-beta50-collapsed",
                "--kl-warmup 10 --free-bits 0.5",
            ),
            Claim(
                N_("A powerful autoregressive decoder (PixelCNN) can model the data without z."),
                "strong_decoders",
                _m("strong decoders", "pixelcnn"),
                "--decoder-arch pixelcnn",
            ),
            Claim(
                N_("A recurrent text decoder ignores z too; word dropout and free bits bring it back."),
                "text_decoders",
                _m("text decoders", "fix"),
                "--word-dropout 0.5 --free-bits 0.5",
            ),
            Claim(
                N_("How good is the encoder: the true posterior beside q(z|x), the amortization gap."),
                "encoder",
                "mnist5k-mlp-z2",
                "--latent-dim 2",
            ),
            Claim(
                N_(
                    "A larger beta, or a penalty on the total correlation, for a code whose units hold one factor each."
                ),
                "disentanglement",
                _m("disentanglement", "tcvae"),
                "--objective beta-tcvae --beta 6",
            ),
        ),
    ),
    (
        N_("A preview of advanced designs"),
        (
            Claim(
                N_("Normalizing flows for the posterior (planar, IAF): q(z|x) beyond a diagonal Gaussian."),
                "encoder",
                "mnist5k-mlp-z2-iaf",
                "--posterior iaf",
            ),
            Claim(
                N_("A flow for the prior (and the VampPrior): a learned p(z) that fills the holes between classes."),
                "samples",
                _m("priors", "flow"),
                "--prior flow|vamp",
            ),
            Claim(
                N_("A flow in the decoder: p(x|z) a Gaussian carried through couplings conditioned on z (series)."),
                "strong_decoders",
                _m("flow decoder", "flow"),
                "--dataset waves --decoder-arch flow --decoder-couplings 4",
            ),
            Claim(
                N_("Autoregressive decoders: PixelCNN for images."),
                "strong_decoders",
                _m("strong decoders", "fix"),
                "--decoder-arch pixelcnn --free-bits 0.5",
            ),
            Claim(
                N_("Autoregressive decoders: WaveNet for sequences."),
                "strong_decoders",
                _m("series decoders", "wavenet"),
                "--dataset waves --decoder-arch wavenet",
            ),
            Claim(
                N_("Attention for sequences: each step of a Transformer decoder looks at the steps before and at z."),
                "samples",
                _m("attention", "transformer"),
                "--dataset names --decoder-arch transformer",
            ),
            Claim(
                N_(
                    "Attention for images: a self-attention block lets every cell of a CNN's feature map read every "
                    "other, however far."
                ),
                "samples",
                _m("image attention", "attention"),
                "--arch cnn --attention 4",
            ),
        ),
    ),
)


def claims() -> list[Claim]:
    """Every claim of the outline, in order."""
    return [c for _, section in CHAPTER for c in section]
