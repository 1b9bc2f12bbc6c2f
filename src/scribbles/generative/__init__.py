r"""Part IV, generative models: autoencoders and VAEs, GANs, and diffusion models.

[`autoencoders`][scribbles.generative.autoencoders] (with its
[`vae`][scribbles.generative.autoencoders.vae]), [`gans`][scribbles.generative.gans] and
[`diffusion`][scribbles.generative.diffusion].
"""
