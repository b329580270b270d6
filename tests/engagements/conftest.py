import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Factories give every user a password; the real hasher makes a 40-row fixture take a
    # minute on a shared machine and proves nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
