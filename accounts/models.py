import hashlib
import hmac
import secrets
import zoneinfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


def validate_timezone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone (e.g. Europe/London).")
                              % {"value": value})


class Company(models.Model):
    class Plan(models.TextChoices):
        STANDARD = "standard", _("Standard")
        ENTERPRISE = "enterprise", _("Enterprise")

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    plan = models.CharField(max_length=20, choices=Plan, default=Plan.STANDARD)
    # The language of its people who chose none (Settings), and of the emails they get.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES,
                                default=settings.LANGUAGE_CODE, db_default=settings.LANGUAGE_CODE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(plan__in=["standard", "enterprise"]),
                                   name="company_plan_valid"),
        ]

    def __str__(self):
        return self.name

    @property
    def tzinfo(self):
        return zoneinfo.ZoneInfo(self.timezone)

    def local_today(self, now=None):
        """Today's calendar date in the company's timezone: the day every rule counts in."""
        return timezone.localtime(now or timezone.now(), self.tzinfo).date()

    @property
    def is_enterprise(self):
        return self.plan == self.Plan.ENTERPRISE


class LocationQuerySet(models.QuerySet):
    def active(self):
        """Locations that pickers offer: archived ones keep their history but take no more."""
        return self.filter(archived_at__isnull=True)


class Location(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=200)
    # Archived, never deleted: engagements, people and billing days keep pointing at it.
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = LocationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="location_unique_name"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_archived(self):
        return self.archived_at is not None


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, status=User.Status.ACTIVE)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """
    Anyone Optify knows: administrators, coaches and coachees alike. A coach is any user
    assigned as an engagement's coach; a coachee, the user an engagement is for.
    """

    class Status(models.TextChoices):
        INTERNAL_RECORD = "internal_record", _("Internal record")
        INVITED = "invited", _("Invited")
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")

    email = models.EmailField(max_length=254, unique=True)
    full_name = models.CharField(max_length=200)
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="users", null=True, blank=True
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.INVITED)
    # Derived, so that Django's auth (which filters on is_active in SQL, e.g. for
    # password reset) agrees with `status`: internal records and inactive users are out.
    is_active = models.GeneratedField(
        expression=models.Q(status__in=["invited", "active"]),
        output_field=models.BooleanField(),
        db_persist=True,
    )
    is_global_admin = models.BooleanField(
        _("global administrator"), default=False,
        help_text=_("Sees and manages every engagement of the company."),
    )
    administered_locations = models.ManyToManyField(
        Location, blank=True, related_name="administrators",
        help_text=_("Location administrators (Enterprise plan) manage these locations' "
                    "engagements."),
    )
    # What the People page needs beyond engagements: a coach invited before their first
    # engagement is a coach already, and a person's home location puts them in the scope of
    # that location's administrators. `db_default`, so bulk COPYs (bench/seed.py) need not
    # name it. Whoever becomes an engagement's coach is marked a coach (Engagement.save), so
    # the coach pickers read one indexed flag rather than every engagement.
    is_coach = models.BooleanField(
        _("coach"), default=False, db_default=False,
        help_text=_("Invited or added as a coach (anyone coaching an engagement is one "
                    "too)."),
    )
    location = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="people",
        help_text=_("Home location: its administrators manage this person."),
    )
    is_staff = models.BooleanField(default=False,
                                   help_text=_("May use the Django admin."))
    date_joined = models.DateTimeField(default=timezone.now)
    invited_at = models.DateTimeField(null=True, blank=True)
    # Small per-user UI preferences, NetBox's UserConfig: {"tables": {"EngagementTable":
    # {"columns": [...]}}}.
    preferences = models.JSONField(default=dict, blank=True)
    # Pages and emails in this language; blank: the company's (`language_code`).
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, blank=True,
                                default="", db_default="")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        indexes = [
            # The People page: a company's people in name order, read page by page.
            models.Index(fields=["company", "full_name", "email"], name="user_company_name"),
            # ... and sorted by status (PersonTable.status orders by status, name, email).
            models.Index(fields=["company", "status", "full_name", "email"],
                         name="user_company_status_name"),
            # The coach pickers: a company's coaches, a few among its many coachees.
            models.Index(fields=["company"], name="user_company_coach",
                         condition=models.Q(is_coach=True)),
            # ... and the owner picker: its global administrators, a handful of them.
            models.Index(fields=["company"], name="user_company_global_admin",
                         condition=models.Q(is_global_admin=True)),
        ]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["internal_record", "invited", "active", "inactive"]
                ),
                name="user_status_valid",
            ),
        ]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    def clean(self):
        super().clean()
        self.email = self.email.lower()

    @property
    def language_code(self):
        """
        The language of this user's pages and emails: their own choice, else their company's.
        Reading the company costs a query unless it was fetched with the user (the pages read
        it anyway, for the header; the senders select it with the recipient).
        """
        if self.language:
            return self.language
        if self.company_id:
            return self.company.language
        return settings.LANGUAGE_CODE

    @property
    def can_sign_in(self):
        return self.status in (self.Status.ACTIVE, self.Status.INVITED)

    @cached_property
    def administered_location_ids(self):
        # Read once per request: the navigation, the lists and their filters all ask.
        # Through .all(), so that a prefetch of `administered_locations` is used when made.
        return [location.pk for location in self.administered_locations.all()]

    @property
    def is_location_admin(self):
        return bool(self.administered_location_ids)

    @property
    def is_company_admin(self):
        return self.is_global_admin or self.is_location_admin

    def get_preference(self, path, default=None):
        node = self.preferences
        for key in path.split("."):
            if not isinstance(node, dict) or key not in node:
                return default
            node = node[key]
        return node

    def set_preference(self, path, value):
        keys = path.split(".")
        node = self.preferences
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = value
        self.save(update_fields=["preferences"])


class AccountEvent(models.Model):
    """
    Who changed what about a company's people and locations, and when: the audit trail of
    accounts/actions.py. Names are copied so the record outlives the accounts it names.
    """

    class Action(models.TextChoices):
        INVITED = "invited", _("Invited")
        INVITATION_RESENT = "invitation_resent", _("Invitation sent again")
        ADDED = "added", _("Added as an internal record")
        IMPORTED = "imported", _("Imported")
        DETAILS_CHANGED = "details_changed", _("Details changed")
        ROLES_CHANGED = "roles_changed", _("Roles changed")
        DEACTIVATED = "deactivated", _("Deactivated")
        REACTIVATED = "reactivated", _("Reactivated")
        LOCATION_CREATED = "location_created", _("Location created")
        LOCATION_RENAMED = "location_renamed", _("Location renamed")
        LOCATION_ARCHIVED = "location_archived", _("Location archived")
        LOCATION_RESTORED = "location_restored", _("Location restored")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    actor_name = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=40, choices=Action)
    person = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="account_events")
    location = models.ForeignKey(Location, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["person", "created_at"], name="account_event_person")]

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor_name or 'system'}"

    @classmethod
    def record(cls, action, *, actor, company, person=None, location=None, **changes):
        return cls.objects.create(
            action=action, actor=actor, actor_name=str(actor) if actor else "",
            company=company, person=person, location=location, changes=changes,
        )


class PeopleImport(models.Model):
    """
    A CSV of coachees, parsed and checked, waiting for its administrator's confirmation
    (accounts/imports.py). Stored rather than kept in the session: 5,000 rows would be
    decoded on every request of that session.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Imported")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    file_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    # [{"line": 2, "email": ..., "full_name": ..., "location_id": ..., "location": ...}]
    rows = models.JSONField(default=list, blank=True)
    # [{"line": 3, "email": ..., "errors": ["..."]}] and rows already in Optify (skipped).
    errors = models.JSONField(default=list, blank=True)
    existing = models.JSONField(default=list, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    added = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Import of {self.file_name or 'a CSV file'} ({self.get_status_display()})"


class SignInThrottle(models.Model):
    """
    Wrong passwords for one email from one client address, and how long that pair is refused
    (accounts/throttle.py). Never the account alone, nor the address alone.
    """

    username = models.CharField(max_length=254)
    ip_address = models.GenericIPAddressField()
    failures = models.PositiveSmallIntegerField(default=0,
                                                help_text=_("Since the last lockout."))
    lockouts = models.PositiveSmallIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["username", "ip_address"], name="sign_in_pair_once"),
        ]
        # Quiet pairs are deleted on each failure (throttle.py): found by their last failure.
        indexes = [models.Index(fields=["last_failure_at"], name="sign_in_last_failure")]

    def __str__(self):
        return f"{self.username} from {self.ip_address}"


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Tokens that still authenticate: not revoked, not expired."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))


class ApiToken(models.Model):
    """
    A user's key to the REST API (optify/api/). The token a client sends is
    `opt_<key_id>_<secret>`: `key_id` is kept readable (it finds the row and names the token
    on the Settings page); only a SHA-256 digest of the secret is stored, so a copy of the
    database lets nobody act as anyone. The secret is shown once, when the token is created.
    SHA-256 rather than a slow password hash: the secret is 40 random characters (238 bits),
    which no dictionary guesses, and every API request checks it.
    """

    PREFIX = "opt_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_id = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    write_enabled = models.BooleanField(
        default=False, help_text=_("Read-write; a read-only token is refused on every change."))
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "created_at"], name="api_token_user")]

    def __str__(self):
        return f"{self.name} ({self.display_prefix})"

    @property
    def display_prefix(self):
        return f"{self.PREFIX}{self.key_id}"

    @staticmethod
    def digest(secret):
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user, name, write_enabled=False, expires_at=None, now=None):
        """A new token and, once only, the text its holder sends: (token, plaintext)."""
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(30)
        token = cls.objects.create(
            user=user, name=name, key_id=key_id, secret_hash=cls.digest(secret),
            write_enabled=write_enabled, expires_at=expires_at, created_at=now or timezone.now())
        return token, f"{cls.PREFIX}{key_id}_{secret}"

    @classmethod
    def split(cls, plaintext):
        """(key_id, secret) from a token's text, or None when it cannot be one of ours."""
        if not plaintext.startswith(cls.PREFIX):
            return None
        key_id, sep, secret = plaintext[len(cls.PREFIX):].partition("_")
        if not sep or len(key_id) != 12 or not secret or len(secret) > 100:
            return None
        return key_id, secret

    def matches(self, secret):
        return hmac.compare_digest(self.secret_hash, self.digest(secret))

    def is_usable(self, now=None):
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
