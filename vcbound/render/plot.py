"""Plots of a ``Sweep`` (``vcbound sweep --plot``), with matplotlib (optional: ``vcbound[plot]``).

In: a ``Sweep`` and a PNG path. Out: the file: log-log curves for one varied symbol, heatmaps of
log10 of each bound for two.
"""
from __future__ import annotations

from ..errors import UsageError
from ..evaluate import NO_CONSTANT, _axis_text
from ..sweeps import Column, Sweep
from .evaluation import _bindings_text


def _matplotlib():
    try:
        import matplotlib  # noqa: F401
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError("--plot needs matplotlib: install vcbound[plot]") from None
    return Figure, FigureCanvasAgg


def plot_sweep(sw: Sweep, path: str, dpi: int = 120) -> str:
    """Log-log curves for one varied symbol, heatmaps (log10 of each bound) for two."""
    import numpy as np
    from ..resolver import MEASURE_NAMES
    if len(sw.varied) not in (1, 2):
        raise UsageError(f"--plot needs one or two varied symbols, got {len(sw.varied)}")
    Figure, Canvas = _matplotlib()
    title_fixed = _bindings_text(sw.fixed, sw.extra)
    measure = MEASURE_NAMES[sw.resolution.measure]
    arch = sw.resolution.arch.text.strip()
    arch = arch if len(arch) <= 70 else arch[:67] + "..."
    bounds = [c for c in sw.columns[1:] if np.isfinite(c.values).any() or (c.overflow is not None and c.overflow.any())]
    if len(sw.varied) == 1:
        fig = Figure(figsize=(8, 5.2))
        Canvas(fig)
        ax = fig.add_subplot(1, 1, 1)
        x = np.array([float(v) for v in sw.values[sw.varied[0]]])
        order = np.argsort(x)
        use_log10 = any(c.overflow is not None and c.overflow.any() for c in bounds)
        series = [sw.columns[0]] + bounds
        for c in series:
            y = _log10_values(c) if use_log10 else np.where(c.values > 0, c.values, np.nan)
            style = {"color": "0.4", "linestyle": "--"} if c.kind == "params" else {"marker": "o", "markersize": 3}
            label = c.label if c.kind == "params" else f"{c.direction} {c.label}"
            ax.plot(x[order], y[order], label=label, **style)
        ax.set_xscale("log")
        if len(x) and x.min() >= 1 and x.max() / x.min() < 1000:
            from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter
            ticks = np.unique(x)
            if len(ticks) > 12:
                ticks = ticks[np.unique(np.geomspace(1, len(ticks), 10).astype(int) - 1)]
            ax.xaxis.set_major_locator(FixedLocator(ticks))
            ax.xaxis.set_major_formatter(ScalarFormatter())
            ax.xaxis.set_minor_locator(NullLocator())
        if use_log10:
            ax.set_ylabel(f"log10 of the {measure} bound")
        else:
            ax.set_yscale("log")
            ax.set_ylabel(f"{measure} bound (log scale)")
        ax.set_xlabel(f"{sw.varied[0]} (log scale)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="best")
        ax.set_title(f"{arch}" + (f"\n{title_fixed}" if title_fixed else ""), fontsize=9)
    else:
        panels = bounds[:6] or []
        n = max(1, len(panels))
        cols = min(3, n)
        rows_ = -(-n // cols)
        fig = Figure(figsize=(4.6 * cols, 3.9 * rows_ + 0.6))
        Canvas(fig)
        xname, yname = sw.varied[1], sw.varied[0]
        xs = [_axis_text(v) for v in sw.values[xname]]
        ys = [_axis_text(v) for v in sw.values[yname]]
        if not panels:
            ax = fig.add_subplot(1, 1, 1)
            ax.text(0.5, 0.5, f"no bound with explicit constants applies\n({NO_CONSTANT})",
                    ha="center", va="center")
            ax.set_axis_off()
        for k, c in enumerate(panels):
            ax = fig.add_subplot(rows_, cols, k + 1)
            z = _log10_values(c).reshape(sw.shape)
            im = ax.imshow(z, origin="lower", aspect="auto", cmap="viridis")
            ax.set_xticks(range(len(xs)), labels=_thin(xs), fontsize=7)
            ax.set_yticks(range(len(ys)), labels=_thin(ys), fontsize=7)
            ax.set_xlabel(xname)
            ax.set_ylabel(yname)
            ax.set_title(f"{c.direction} {c.route.id}\n[{c.route.result.source.key}]", fontsize=8)
            fig.colorbar(im, ax=ax, label=f"log10 {c.direction} bound")
        fig.suptitle(f"{measure}: {arch}" + (f"  ({title_fixed})" if title_fixed else ""), fontsize=9)
    fig.tight_layout()
    import io
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=dpi)
    write_file(path, png.getvalue(), "--plot")
    return path


def write_file(path: str, data: bytes, what: str) -> None:
    """Write ``data`` to ``path``; any failure (a missing directory, a full disk, /dev/full, a
    directory in the way) is one line, not a traceback, and never reports success."""
    try:
        with open(path, "wb") as fh:
            fh.write(data)
            fh.flush()
    except OSError as exc:
        raise UsageError(f"{what}: cannot write {path}: {exc.strerror or exc}") from None


def _thin(labels: list[str], most: int = 12) -> list[str]:
    if len(labels) <= most:
        return labels
    step = -(-len(labels) // most)
    return [lab if i % step == 0 else "" for i, lab in enumerate(labels)]


def _log10_values(c: Column):
    import numpy as np
    with np.errstate(all="ignore"):
        out = np.where(c.values > 0, np.log10(np.where(c.values > 0, c.values, 1.0)), np.nan)
    if c.log10 is not None:
        out = np.where(c.overflow, c.log10, out)
    return out
