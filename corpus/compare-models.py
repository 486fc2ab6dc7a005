#!/usr/bin/env python3
"""Compare learners on the training part, as a reference for issue 11 (not used by the bot or its tests).

Usage, from the project root: python3 corpus/compare-models.py lr,svm,mlp64 [group|label]
Needs numpy, scipy and scikit-learn. 5-fold cross-validation on corpus/train only (never test/ or holdout/),
folds by writer (each file whole in one fold) unless `label`; model alone, crisis or someone else at risk
against the rest, TF-IDF word 1-2-grams and character 3-5-grams within words. Prints false crisis at crisis
recall 0.965, 0.98 and 0.99. mlp64 takes about 30 minutes on two cores.
"""
import glob, os, sys, unicodedata
import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedKFold


def load(pattern):
    rows = []
    for path in sorted(glob.glob(pattern)):
        for line in open(path, encoding="utf-8"):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t", 3)
            if len(parts) == 4:
                rows.append((parts[0], parts[3], os.path.basename(path)))
    return rows


def norm(text):
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c)).replace("'", "").replace("\u2019", "")


def features(train, test):
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    a = hstack([words.fit_transform(train), chars.fit_transform(train)]).tocsr()
    b = hstack([words.transform(test), chars.transform(test)]).tocsr()
    return a, b


def crisis_score(clf, a, y, b):
    clf.fit(a, y)
    p, classes = clf.predict_proba(b), list(clf.classes_)
    return p[:, classes.index("crisis")] + p[:, classes.index("crisis-other")]


def main():
    models = sys.argv[1].split(",")
    mode = sys.argv[2] if len(sys.argv) > 2 else "group"
    rows = load("corpus/train/*.tsv")
    texts = [norm(r[1]) for r in rows]
    y = np.array([r[0] for r in rows])
    writer = np.array([r[2] for r in rows])
    crisis = np.isin(y, ["crisis", "crisis-other"])
    if mode == "group":
        splits = GroupKFold(5).split(texts, y, writer)
    else:
        splits = StratifiedKFold(5, shuffle=True, random_state=0).split(texts, y)
    scores = {m: np.zeros(len(texts)) for m in models}
    for train, test in splits:
        a, b = features([texts[i] for i in train], [texts[i] for i in test])
        for m in models:
            if m == "lr":
                scores[m][test] = crisis_score(LogisticRegression(C=10, max_iter=2000), a, y[train], b)
            elif m == "svm":
                from sklearn.svm import LinearSVC

                scores[m][test] = LinearSVC(C=0.5).fit(a, crisis[train]).decision_function(b)
            elif m.startswith("mlp"):
                from sklearn.neural_network import MLPClassifier

                clf = MLPClassifier(hidden_layer_sizes=(int(m[3:] or 64),), max_iter=15, random_state=0, alpha=1e-4)
                scores[m][test] = crisis_score(clf, a, y[train], b)
    for m in models:
        pos, neg = np.sort(scores[m][crisis]), scores[m][~crisis]
        cells = [f"recall {r}: false crisis {np.mean(neg >= pos[int((1 - r) * len(pos))]):.3f}" for r in (0.965, 0.98, 0.99)]
        print(f"{m} ({mode} folds) | " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
