"""Input shapes of the staff pages that invite people to an event and manage registrations.

Who may be invited or registered, and when, is for the registration services to decide;
these forms offer the likely choices and check the shape of the input only.
"""

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from dialogue.events.models import Event, Invitation
from dialogue.members.models import Member, Organization, Person
from dialogue.members.selectors import sorted_by_name


def _pick_list() -> forms.CheckboxSelectMultiple:
    return forms.CheckboxSelectMultiple(attrs={"class": "pick-list"})


def _not_yet_invited(event: Event, field: str) -> Q:
    """Leaves out whoever the event already invites that way: inviting them again does nothing."""
    invited = Invitation.objects.filter(event=event, **{f"{field}__isnull": False})
    return ~Q(pk__in=invited.values(field))


def _persons_matching(persons: QuerySet[Person], query: str) -> QuerySet[Person]:
    """The persons whose name, e-mail address or affiliation contains every word of `query`."""
    for word in query.split():
        persons = persons.filter(
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(email__icontains=word)
            | Q(delegation__name_en__icontains=word)
            | Q(delegation__name_fr__icontains=word)
            | Q(delegation__name_es__icontains=word)
            | Q(organization__name_en__icontains=word)
            | Q(organization__name_fr__icontains=word)
            | Q(organization__name_es__icontains=word)
            | Q(organization__acronym__iexact=word)
        )
    return persons


class PersonChoiceLabel:
    """A person as the lists show them: name, affiliation and e-mail address."""

    def label_from_instance(self, obj: Person) -> str:
        label = _("%(family)s, %(given)s") % {"family": obj.family_name, "given": obj.given_name}
        if obj.affiliation:
            label = _("%(name)s, %(affiliation)s") % {"name": label, "affiliation": obj.affiliation}
        if obj.email:
            label = _("%(name)s (%(email)s)") % {"name": label, "email": obj.email}
        return label


class PersonChoiceField(PersonChoiceLabel, forms.ModelChoiceField):
    pass


class PersonMultipleChoiceField(PersonChoiceLabel, forms.ModelMultipleChoiceField):
    pass


class PersonSearchForm(forms.Form):
    """The words that narrow the persons offered; sent again with the choice made."""

    q = forms.CharField(
        label=_("Find persons"),
        max_length=100,
        required=False,
        help_text=_("Part of a name, an e-mail address, a delegation or an organization."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    def query(self) -> str:
        return self.cleaned_data["q"].strip() if self.is_valid() else ""


class _ChoosingForm(forms.Form):
    """A form choosing in the field `choice`, which says so when it has nothing to offer."""

    choice = ""
    empty_text = ""

    def nothing_to_choose(self) -> bool:
        return not self.fields[self.choice].queryset.exists()


class _SearchedPersonsForm(_ChoosingForm):
    """A form choosing among the persons that match the search sent with it."""

    search = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args, query: str = "", **kwargs):
        kwargs.setdefault("initial", {"search": query})
        super().__init__(*args, **kwargs)
        if self.is_bound:
            query = str(self.data.get("search", ""))[:100].strip()
        self.query = query

    def _narrowed(self, persons: QuerySet[Person]) -> QuerySet[Person]:
        return _persons_matching(
            persons.select_related("delegation", "organization").order_by(
                "family_name", "given_name", "id"
            ),
            self.query,
        )


class MembersInviteForm(_ChoosingForm):
    choice = "members"
    empty_text = _("Every active member is invited already.")
    members = forms.ModelMultipleChoiceField(
        label=_("Members to invite"),
        queryset=Member.objects.none(),
        widget=_pick_list(),
        help_text=_(
            "Active Members not invited yet. Their delegates and focal points hear by e-mail."
        ),
    )

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        members = Member.objects.filter(status=Member.Status.ACTIVE).filter(
            _not_yet_invited(event, "member")
        )
        field = self.fields["members"]
        field.queryset = members
        field.choices = [(member.pk, member.name) for member in sorted_by_name(members)]


class OrganizationsInviteForm(_ChoosingForm):
    choice = "organizations"
    empty_text = _("Every stakeholder organization is invited already.")
    organizations = forms.ModelMultipleChoiceField(
        label=_("Stakeholder organizations to invite"),
        queryset=Organization.objects.none(),
        widget=_pick_list(),
        help_text=_(
            "Organizations not invited yet. Each of their active persons with an e-mail "
            "address receives a personal link to register."
        ),
    )

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organizations"].queryset = Organization.objects.filter(
            _not_yet_invited(event, "organization")
        ).order_by("name_en")


class PersonsInviteForm(_SearchedPersonsForm):
    choice = "persons"
    empty_text = _("No active person with an e-mail address who is not invited yet matches.")
    persons = PersonMultipleChoiceField(
        label=_("Persons to invite"),
        queryset=Person.objects.none(),
        widget=_pick_list(),
        help_text=_(
            "Active persons with an e-mail address who are not invited in person yet. "
            "Each receives a personal link to register."
        ),
    )

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        persons = (
            Person.objects.filter(is_active=True)
            .exclude(email="")
            .filter(_not_yet_invited(event, "person"))
        )
        self.fields["persons"].queryset = self._narrowed(persons)


class RegistrationCreateForm(_SearchedPersonsForm):
    choice = "person"
    empty_text = _("No active person matches.")
    person = PersonChoiceField(
        label=_("Person to register"),
        queryset=Person.objects.none(),
        empty_label="—",
        help_text=_(
            "Any active person. A place is given if one is free, else a place on the "
            "waiting list; the person is told by e-mail."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = self._narrowed(Person.objects.filter(is_active=True))
