"""The playground: the lecture's live training demo on this engine, in the browser.

``autograd-flow playground`` serves a local page (:mod:`.server`) where a small MLP
learns 2-D data before your eyes: the decision regions, each hidden unit's response,
the loss and error curves, and the flow graph coloured by gradient norm, several times
a second. Each tab has its own :class:`~.session.Session`, which trains a
:class:`~.trainer.Trainer` (plain flow graphs of ``af.nn.MLP``, ``af.optim.SGD``).
"""
