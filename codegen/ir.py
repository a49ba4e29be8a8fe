"""The small intermediate representation templates see; never raw schema dicts."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class KindIR:
    """One value kind a field may hold: the runtime constructor call and its Python type."""

    expr: str  # e.g. "k.Int(bounds=k.Bounds(gt=0))"
    pytype: str  # e.g. "int"


@dataclass(frozen=True)
class FieldIR:
    name: str  # JSON name (the estimator attribute)
    pyname: str  # Python identifier in the generated class
    required: bool
    kinds: tuple[KindIR, ...]
    shape: tuple[tuple[int | str, ...], ...] = ()

    @property
    def annotation(self) -> str:
        types: list[str] = []
        for k in self.kinds:
            if k.pytype not in types:
                types.append(k.pytype)
        pytype = " | ".join(types)
        kinds = ", ".join(k.expr for k in self.kinds)
        return f"Annotated[{pytype}, k.OneOf(({kinds},))]"


@dataclass(frozen=True)
class ModelIR:
    schema_id: str
    class_path: str  # public path, e.g. sklearn.linear_model.Ridge
    source: str  # schema path relative to the repository root
    sha256: str
    module: str  # generated module, e.g. milo_codec._generated.sklearn.linear_model.Ridge.v1
    version: int
    params: tuple[FieldIR, ...]
    state: tuple[FieldIR, ...]
    unfitted_state: bool = False  # the schema allows a state holding only set_output config
    # the fitted state's dependentRequired: (field, the fields it requires), in schema order
    dependent_required: tuple[tuple[str, tuple[str, ...]], ...] = ()
    derived: tuple[str, ...] = ()
    invariants: tuple[str, ...] = ()
    extra_imports: tuple[str, ...] = field(default=())
    notes: str = ""  # the schema's description, shown in README's supported-models table
    # A module to import before the class: experimental classes are exported only after it.
    import_first: str | None = None

    @property
    def import_module(self) -> str:
        return self.class_path.rsplit(".", 1)[0]

    @property
    def class_name(self) -> str:
        return self.class_path.rsplit(".", 1)[1]
