"""Input shapes of the surveys app: the answers to a survey, as the portal and staff take them."""

from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dialogue.surveys import rules
from dialogue.surveys.models import Question, Response, Survey


@dataclass
class QuestionFields:
    """The bound fields of one question, for templates that lay a form out question by question."""

    question: Question
    fields: list[forms.BoundField] = field(default_factory=list)
    comment_fields: list[forms.BoundField] = field(default_factory=list)

    @property
    def is_ranking(self) -> bool:
        return self.question.kind == Question.Kind.RANK


class ResponseForm(forms.Form):
    """The answers of one delegation to every question of a survey.

    One field per question: radio buttons for a choose-one question
    (`question_<id>`), checkboxes for a choose-up-to-k question (`question_<id>`),
    and for a ranking one select per position (`question_<id>_rank_<n>`, n = 1..k).
    A question that takes comments per option adds `option_<id>_comment`; the
    general comment is `comment`. The shape of each answer is checked here with
    `rules.check_choices`; `services.response_submit` checks everything again.

    After `is_valid()`:
    - `choices()` gives {question id: [option ids]} (in order of preference for a
      ranking), ready for `response_submit(choices=...)`;
    - `option_comments()` gives {option id: text} for the comments given;
    - `comment` is the general comment (the field of that name holds it).
    `questions()` lists the bound fields question by question, for templates.

    `initial_response` (a Response, ideally with its answers prefetched) fills the
    form with a delegation's current answers so they can be changed.
    """

    def __init__(
        self,
        survey: Survey,
        data=None,
        initial_response: Response | None = None,
        **kwargs,
    ):
        super().__init__(data, **kwargs)
        self.survey = survey
        self._questions = list(survey.questions.prefetch_related("options").order_by("position"))
        for question in self._questions:
            self._add_question(question)
        self.fields["comment"] = forms.CharField(
            label=_("Comment"),
            required=False,
            max_length=5000,
            widget=forms.Textarea(attrs={"rows": 4}),
        )
        if initial_response is not None:
            self._fill(initial_response)

    # --- building -------------------------------------------------------------------

    @staticmethod
    def answer_name(question: Question, rank: int | None = None) -> str:
        """The name of a question's field (with `rank`: of that position of a ranking)."""
        if rank is None:
            return f"question_{question.pk}"
        return f"question_{question.pk}_rank_{rank}"

    @staticmethod
    def comment_name(option_id: int) -> str:
        """The name of the comment field of an option."""
        return f"option_{option_id}_comment"

    def _add_question(self, question: Question) -> None:
        options = [(str(o.pk), o.label) for o in question.options.all()]
        label = gettext("%(number)d. %(question)s") % {
            "number": question.position,
            "question": question.text,
        }
        if question.kind == Question.Kind.CHOOSE_ONE:
            self.fields[self.answer_name(question)] = forms.ChoiceField(
                label=label,
                choices=options,
                required=question.required,
                widget=forms.RadioSelect,
            )
        elif question.kind == Question.Kind.CHOOSE_UP_TO:
            self.fields[self.answer_name(question)] = forms.MultipleChoiceField(
                label=label,
                choices=options,
                required=question.required,
                widget=forms.CheckboxSelectMultiple,
                help_text=_("Choose up to %(k)d options.") % {"k": question.max_choices},
            )
        else:
            blank = [("", gettext("(no option)"))]
            for rank in range(1, question.max_choices + 1):
                self.fields[self.answer_name(question, rank)] = forms.ChoiceField(
                    label=gettext("%(question)s, choice %(rank)d")
                    % {"question": label, "rank": rank},
                    choices=blank + options,
                    required=question.required and rank == 1,
                )
        if question.option_comments:
            for option in question.options.all():
                self.fields[self.comment_name(option.pk)] = forms.CharField(
                    label=gettext("Comment on “%(option)s”") % {"option": option.label},
                    required=False,
                    max_length=2000,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )

    def _fill(self, response: Response) -> None:
        chosen: dict[int, list[tuple[int, int]]] = {}
        comments: dict[int, str] = {}
        for answer in response.answers.all():
            chosen.setdefault(answer.question_id, []).append((answer.rank, answer.option_id))
            if answer.comment:
                comments[answer.option_id] = answer.comment
        for question in self._questions:
            ordered = [str(option_id) for _rank, option_id in sorted(chosen.get(question.pk, []))]
            if question.kind == Question.Kind.CHOOSE_ONE:
                self.initial[self.answer_name(question)] = ordered[0] if ordered else None
            elif question.kind == Question.Kind.CHOOSE_UP_TO:
                self.initial[self.answer_name(question)] = ordered
            else:
                for rank, option_id in enumerate(ordered, start=1):
                    self.initial[self.answer_name(question, rank)] = option_id
        for option_id, text in comments.items():
            if self.comment_name(option_id) in self.fields:
                self.initial[self.comment_name(option_id)] = text
        self.initial["comment"] = response.comment

    # --- checking ---------------------------------------------------------------------

    def _chosen(self, question: Question) -> list[int]:
        data = self.cleaned_data
        if question.kind == Question.Kind.CHOOSE_ONE:
            value = data.get(self.answer_name(question))
            return [int(value)] if value else []
        if question.kind == Question.Kind.CHOOSE_UP_TO:
            # A set of options: given in the order the options are shown, whatever the browser sent.
            chosen = {int(v) for v in data.get(self.answer_name(question)) or []}
            return [o.pk for o in question.options.all() if o.pk in chosen]
        values = [
            data.get(self.answer_name(question, r)) for r in range(1, question.max_choices + 1)
        ]
        return [int(v) for v in values if v]

    def clean(self):
        cleaned = super().clean()
        for question in self._questions:
            if question.kind == Question.Kind.RANK:
                self._check_ranking_order(question)
            valid = {o.pk for o in question.options.all()}
            problem = rules.check_choices(
                question.kind, question.max_choices, self._chosen(question), valid
            )
            if problem:
                self.add_error(self._first_field(question), problem)
        return cleaned

    def _check_ranking_order(self, question: Question) -> None:
        values = [
            self.cleaned_data.get(self.answer_name(question, r))
            for r in range(1, question.max_choices + 1)
        ]
        seen_blank = False
        for value in values:
            if not value:
                seen_blank = True
            elif seen_blank:
                self.add_error(
                    self._first_field(question),
                    _("Fill the choices in order, from the first, without leaving gaps."),
                )
                return

    def _first_field(self, question: Question) -> str:
        if question.kind == Question.Kind.RANK:
            return self.answer_name(question, 1)
        return self.answer_name(question)

    # --- results ------------------------------------------------------------------------

    def choices(self) -> dict[int, list[int]]:
        """{question id: [option ids]}, ranked ones in order of preference; after is_valid()."""
        return {question.pk: self._chosen(question) for question in self._questions}

    def option_comments(self) -> dict[int, str]:
        """{option id: comment} for the option comments given; call after is_valid()."""
        comments = {}
        for question in self._questions:
            if not question.option_comments:
                continue
            for option in question.options.all():
                text = (self.cleaned_data.get(self.comment_name(option.pk)) or "").strip()
                if text:
                    comments[option.pk] = text
        return comments

    @property
    def comment(self) -> str:
        """The general comment; call after is_valid()."""
        return (self.cleaned_data.get("comment") or "").strip()

    def questions(self) -> list[QuestionFields]:
        """The bound fields grouped by question, in the survey's order."""
        groups = []
        for question in self._questions:
            group = QuestionFields(question=question)
            if question.kind == Question.Kind.RANK:
                group.fields = [
                    self[self.answer_name(question, r)] for r in range(1, question.max_choices + 1)
                ]
            else:
                group.fields = [self[self.answer_name(question)]]
            if question.option_comments:
                group.comment_fields = [
                    self[self.comment_name(o.pk)] for o in question.options.all()
                ]
            groups.append(group)
        return groups
