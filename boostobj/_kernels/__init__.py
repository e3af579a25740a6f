"""Numba kernels: numpy and numba only, never scikit-learn, XGBoost or LightGBM.

Each kernel takes clean, validated arrays and writes into ``*_out`` arrays; the Python
layer (``boostobj.losses``) validates, allocates and turns status codes into errors.
"""
