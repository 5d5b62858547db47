"""Small helpers several apps share and that belong to none: no models, and no import of any
app of ours (tests/config/test_architecture.py checks it), so every app may use them."""
