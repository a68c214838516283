"""SAP, the separated attribute predictability (Kumar et al. 2018), as disentanglement_lib computes it.

Discrete factors (``continuous_factors = False`` in disentanglement_lib's
``unsupervised_study_v1``): S[j, k] is the test accuracy of a linear SVM
(``LinearSVC(C=0.01, class_weight="balanced")``) that predicts factor k from latent j alone,
trained on the training codes as they are (not standardised) and scored on the test codes:

    SAP_k = S_(1),k - S_(2),k,          SAP = mean_k SAP_k

disentanglement_lib uses 10,000 training and 5,000 test points. With C = 0.01 the SVM is
strongly regularised, so S depends on the codes' scale and on the number of points: compare
SAP scores over the same numbers of codes only.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def sap(codes: np.ndarray, factors: np.ndarray, test_codes: np.ndarray, test_factors: np.ndarray) -> dict[str, Any]:
    """The score, per factor, the latent that predicts each factor best and the accuracies S (latents, factors)."""
    from sklearn.svm import LinearSVC

    score = np.zeros((codes.shape[1], factors.shape[1]))
    for k in range(factors.shape[1]):
        if len(np.unique(factors[:, k])) < 2:  # a constant factor: nothing to predict
            continue
        for j in range(codes.shape[1]):
            clf = LinearSVC(C=0.01, class_weight="balanced").fit(codes[:, j : j + 1], factors[:, k])
            score[j, k] = np.mean(clf.predict(test_codes[:, j : j + 1]) == test_factors[:, k])
    srt = np.sort(score, axis=0)[::-1]
    per = srt[0] - (srt[1] if len(srt) > 1 else 0.0)
    return {
        "sap": float(per.mean()),
        "per_factor": per.tolist(),
        "latent": score.argmax(0).tolist(),
        "score": score.tolist(),
        "num_train": len(codes),
        "num_test": len(test_codes),
    }
