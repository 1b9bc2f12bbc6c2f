r"""Generative models: autoencoders and VAEs, GANs, and diffusion models (Part IV)."""
