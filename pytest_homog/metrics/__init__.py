"""Metric functions of pytest-homog: pure numpy, no torch.

``tags`` reads entities from tag sequences, ``quality`` scores predictions, ``stats`` gives bootstrap
estimates, ``diversity`` measures how alike the outcomes of several subjects are and ``representation`` how
alike their hidden states are.
"""
