"""A small GAN trained with manual optimisation: a generator and a discriminator, each with its
own optimizer, stepped in turn inside ``training_step``. It learns a ring of Gaussians in the
plane; like most GAN projects it has no validation or test loop, only training-time numbers."""
