"""Why a mutant survived: the mock census of the suite, the classifier, and the words for each cause."""
