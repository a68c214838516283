"""What training minimises and how a bound is estimated: the ELBO and its variants
(elbo.py), the total correlation (total_correlation.py), the importance-weighted bound
(iwae.py), and the one loss a run trains with (objective.py)."""
