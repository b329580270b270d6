"""
Run as `python -m tests.faults.seed_cluster` against a throwaway cluster's DATABASE_URL: writes
tests.faults.scenario.crossing_today("restartco") and prints "<company id> <local day>".
"""

import django


def main():
    django.setup()
    from django.test.utils import override_settings

    from tests.faults.scenario import crossing_today

    # Factories hash six passwords; PBKDF2 would take seconds for nothing.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        company, *_ = crossing_today("restartco")
    print(company.pk, company.local_today().isoformat())


if __name__ == "__main__":
    main()
