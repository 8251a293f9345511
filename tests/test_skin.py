"""Property tests for medfair.skin: the optical skin model, the synthetic dermatology cohort and ITA estimation.

Each threshold is commented with the value measured on this code and the reason for its margin.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from skimage.color import deltaE_cie76, rgb2lab
from sklearn.metrics import cohen_kappa_score

import medfair.skin as sc

TYPES = list(sc.FITZPATRICK_TYPES)
CODE = {t: i for i, t in enumerate(TYPES)}
D65 = dict(illuminant="daylight", cct_range=(6504.0, 6504.0), wb_error_sd_mired=0.0)
WARM_NO_WB = dict(illuminant="blackbody", cct_range=(3000.0, 3000.0), wb_fixed_cct=6504.0)


def _kappa(meta: pd.DataFrame, col: str) -> float:
    y = meta["fitzpatrick"].astype(str).map(CODE)
    p = pd.Series(sc.ita_to_fitzpatrick(meta[col].to_numpy()), index=meta.index).map(CODE)
    return cohen_kappa_score(y, p, weights="quadratic")


def _estimate(cfg: sc.SkinCohortConfig, seed: int) -> pd.DataFrame:
    x, _, _, meta = sc.generate_skin_cohort(cfg, seed)
    ita, ita_sog = [], []
    for img in x:
        m = sc.skin_mask_auto(img)
        ita.append(sc.ita_degrees(img, m))
        ita_sog.append(sc.ita_degrees(sc.shades_of_grey(img), m))
    return meta.assign(ita=ita, ita_sog=ita_sog)


@pytest.fixture(scope="module")
def d65_cohort() -> pd.DataFrame:
    """300 subjects, D65 daylight, perfect white balance (the reference condition)."""
    return _estimate(sc.SkinCohortConfig(n_subjects=300, image_size=128, **D65), seed=0)


@pytest.fixture(scope="module")
def warm_cohort() -> pd.DataFrame:
    """The same 300 subjects (same seed => same draws) under 3000 K light with the
    camera white balance fixed at D65 (no correction)."""
    return _estimate(sc.SkinCohortConfig(n_subjects=300, image_size=128, **WARM_NO_WB), seed=0)


# ----------------------------------------------------------------------------- determinism

def test_same_seed_identical_outputs():
    cfg = sc.SkinCohortConfig(n_subjects=6, image_size=64, hair_prob=0.5, marker_prob=0.5, ruler_prob=0.5)
    a = sc.generate_skin_cohort(cfg, seed=7)
    b = sc.generate_skin_cohort(cfg, seed=7)
    for x, y in zip(a[:3], b[:3]):
        assert x.dtype == y.dtype and np.array_equal(x, y)
    pd.testing.assert_frame_equal(a[3], b[3])
    c = sc.generate_skin_cohort(cfg, seed=8)
    assert not np.array_equal(a[0], c[0])


def test_subject_does_not_depend_on_cohort_size():
    kw = dict(image_size=64, hair_prob=0.5, marker_prob=0.3, ruler_prob=0.3, melanoma_prevalence=0.5)
    x10, l10, s10, m10 = sc.generate_skin_cohort(sc.SkinCohortConfig(n_subjects=10, **kw), seed=3)
    x20, l20, s20, m20 = sc.generate_skin_cohort(sc.SkinCohortConfig(n_subjects=20, **kw), seed=3)
    assert np.array_equal(x10, x20[:10])
    assert np.array_equal(l10, l20[:10]) and np.array_equal(s10, s20[:10])
    pd.testing.assert_frame_equal(m10, m20.iloc[:10])


def test_render_lesion_image_deterministic_and_well_formed():
    kw = dict(size=96, fitz="IV", melanoma=True, hair=True, marker=True, ruler=True, device="phone")
    img, lm, sm = sc.render_lesion_image(np.random.default_rng(5), **kw)
    img2, lm2, sm2 = sc.render_lesion_image(np.random.default_rng(5), **kw)
    assert np.array_equal(img, img2) and np.array_equal(lm, lm2) and np.array_equal(sm, sm2)
    assert img.shape == (96, 96, 3) and img.dtype == np.float32
    assert 0.0 <= img.min() and img.max() <= 1.0
    assert lm.dtype == bool and sm.dtype == bool and lm.any() and sm.any()
    assert not (lm & sm).any()  # skin mask never includes the lesion


# ----------------------------------------------------------------------------- physics

def test_reflectance_strictly_inside_unit_interval():
    f = np.linspace(0.0, 0.9, 10)[:, None, None, None]
    b = np.array([0.002, 0.02, 0.1, 0.25])[None, :, None, None]
    s = np.array([0.0, 0.75, 1.0])[None, None, :, None]
    dm = np.array([0.0, 0.05, 0.16])[None, None, None, :]
    for d in (0.006, 0.010):
        r = sc.skin_reflectance(f, b, s, d, dm)
        assert r.shape == (10, 4, 3, 3, 31)
        assert np.all(r > 0.0) and np.all(r < 1.0)


def test_more_melanin_darker_at_every_wavelength():
    r = sc.skin_reflectance(np.linspace(0.0, 0.5, 26))
    assert np.all(np.diff(r, axis=0) < 0)


def test_true_ita_decreases_with_melanin():
    f = np.linspace(0.013, 0.43, 40)
    ita = sc.skin_tone_ita(f)
    assert np.all(np.diff(ita) < 0)


def test_cie_daylight_and_cmf_reproduce_d65_white():
    w = sc.CMF @ sc.daylight_spd(6504.0)
    xy = w[:2] / w.sum()
    assert np.allclose(xy, [0.3127, 0.3290], atol=2e-3)  # measured (0.31281, 0.32917)


@pytest.mark.parametrize("cct,kind", [(3000.0, "blackbody"), (6504.0, "daylight"), (4500.0, "blackbody")])
def test_correct_white_balance_maps_white_to_neutral(cct, kind):
    white = sc.camera_matrix(cct, None, kind).sum(axis=1)
    assert np.allclose(white, 1.0, atol=5e-3)


def test_warm_light_redder_and_white_balance_removes_cast():
    r = sc.skin_reflectance(0.08)
    ref = sc.reflectance_to_srgb(r, 6504.0, None, "daylight")
    warm = sc.reflectance_to_srgb(r, 3000.0, 6504.0, "blackbody", "daylight")   # camera stuck at D65
    cool = sc.reflectance_to_srgb(r, 6500.0, 6504.0, "blackbody", "daylight")
    corrected = sc.reflectance_to_srgb(r, 3000.0, 3000.0, "blackbody")          # correct WB
    assert warm[0] / warm[2] > 2.0 * (cool[0] / cool[2])                       # measured 5.35 vs 1.84
    lab = {k: rgb2lab(v[None, None])[0, 0] for k, v in
           dict(ref=ref, warm=warm, corrected=corrected).items()}
    de_warm = np.linalg.norm(lab["warm"] - lab["ref"])
    de_corr = np.linalg.norm(lab["corrected"] - lab["ref"])
    # measured dE 40.3 without and 5.8 with correction (residual = blackbody-vs-daylight
    # metamerism + imperfect von Kries); "mostly removed" = at least 4x smaller.
    assert de_corr < 0.25 * de_warm
    assert abs(corrected[0] / corrected[2] - ref[0] / ref[2]) < 0.05 * ref[0] / ref[2]


def test_lut_matches_direct_spectral_projection():
    rng = np.random.default_rng(0)
    cam = sc.camera_matrix(4000.0, 5000.0, "blackbody")
    n = 4000
    f = rng.uniform(0, 0.9, n).astype(np.float32)
    b = np.exp(rng.uniform(np.log(0.003), np.log(0.2), n)).astype(np.float32)
    dm = rng.uniform(0, 0.15, n).astype(np.float32)
    for dermal, lim in ((False, 0.5), (True, 1.5)):  # measured max dE 0.32 / 1.12
        lut = sc._ColourLUT(cam, 0.7, 0.008, dermal)
        approx = lut(f, b, dm if dermal else None)
        exact = sc.skin_reflectance(f, b, 0.7, 0.008, dm if dermal else 0.0) @ cam.T
        de = deltaE_cie76(rgb2lab(sc.srgb_encode(approx)[None]), rgb2lab(sc.srgb_encode(exact)[None]))
        assert de.max() < lim


def test_lesion_contrast_lower_on_dark_skin():
    def contrast(fitz):
        out = []
        for s in range(12):
            img, lm, sm = sc.render_lesion_image(np.random.default_rng(100 + s), 96, fitz, False,
                                                 illuminant="daylight")
            lab = rgb2lab(img)
            out.append(np.linalg.norm(np.median(lab[lm], 0) - np.median(lab[sm], 0)))
        return np.mean(out)
    c1, c6 = contrast("I"), contrast("VI")
    assert c6 < 0.6 * c1  # measured naevus dE ~19 (I) vs ~8 (VI) with identical draws


def test_presentation_knob_scales_contrast():
    def lum_drop(p):
        img, lm, sm = sc.render_lesion_image(np.random.default_rng(1), 96, "III", False, presentation=p,
                                             illuminant="daylight")
        lab = rgb2lab(img)
        return np.median(lab[sm, 0]) - np.median(lab[lm, 0])
    assert lum_drop(0.0) < 1.5 < lum_drop(0.5) < lum_drop(1.0) < lum_drop(2.0)


# ----------------------------------------------------------------------------- cohort semantics

def test_cohort_meta_and_label_misses():
    cfg = sc.SkinCohortConfig(n_subjects=120, image_size=48, melanoma_prevalence=0.5,
                              label_miss_rate={"I": 0, "II": 0, "III": 0, "IV": 0, "V": 1.0, "VI": 1.0})
    x, lm, skm, meta = sc.generate_skin_cohort(cfg, seed=1)
    assert x.shape == (120, 48, 48, 3) and x.dtype == np.uint8
    assert lm.shape == skm.shape == (120, 48, 48) and lm.dtype == bool
    for col in ("subject_id", "fitzpatrick", "melanin_fraction", "melanoma", "label", "device", "cct",
                "wb_cct", "hair", "marker", "lesion_diameter_mm", "true_ita"):
        assert col in meta.columns
    dark = meta.fitzpatrick.astype(str).isin(["V", "VI"])
    assert meta.loc[dark & meta.melanoma].shape[0] > 0
    assert not meta.loc[dark, "label"].any()
    assert (meta.loc[~dark, "label"] == meta.loc[~dark, "melanoma"]).all()
    for t in TYPES:
        lo, hi = sc.FITZPATRICK_MELANIN_RANGE[t]
        f = meta.loc[meta.fitzpatrick == t, "melanin_fraction"]
        assert ((f >= lo) & (f <= hi)).all()


# ----------------------------------------------------------------------------- ITA

def test_ita_to_fitzpatrick_boundaries():
    got = sc.ita_to_fitzpatrick(np.array([70, 55.01, 55, 41, 28, 10, -29.9, -30, -60, np.nan]))
    assert list(got) == ["I", "I", "II", "III", "IV", "V", "V", "VI", "VI", ""]
    assert sc.ita_to_fitzpatrick(45.0) == "II"


def test_ita_degrees_ignores_hair_via_trimming_and_mask():
    img, lm, sm = sc.render_lesion_image(np.random.default_rng(2), 128, "II", False, hair=False,
                                         illuminant="daylight")
    ref = sc.ita_degrees(img, sm)
    hairy = img.copy()
    hairy[::9, :, :] = 0.05                      # 11 % of rows become black "hair"
    assert abs(sc.ita_degrees(hairy, sm) - ref) < 2.0
    auto = sc.skin_mask_auto(hairy)
    assert not auto[::9].any()                   # black-top-hat removes the dark lines
    assert abs(sc.ita_degrees(hairy, auto) - ref) < 2.0


def test_kappa_ita_vs_true_type_under_d65(d65_cohort):
    # Measured over seeds 0-2 (n=300 each): kappa 0.857 [0.854, 0.864]; bootstrap sd 0.013.
    # The ceiling set by the ITA-category convention itself (true ITA -> type) is 0.859:
    # the estimator is nearly loss-free, the disagreement is the category mapping.
    # Threshold 0.80 ~ 4 bootstrap sd below the measured value.
    assert _kappa(d65_cohort, "ita") >= 0.80
    err = d65_cohort.ita - d65_cohort.true_ita
    assert abs(err.mean()) < 1.0 and err.abs().mean() < 3.0   # measured bias +0.1, MAE 1.7 deg


def test_estimated_ita_means_strictly_ordered_by_type(d65_cohort):
    means = d65_cohort.groupby("fitzpatrick", observed=True)["ita"].mean().reindex(TYPES)
    assert np.all(np.diff(means.to_numpy()) < 0)
    true_means = d65_cohort.groupby("fitzpatrick", observed=True)["true_ita"].mean().reindex(TYPES)
    assert np.all(np.diff(true_means.to_numpy()) < 0)


def test_warm_light_without_wb_compresses_ita(d65_cohort, warm_cohort):
    assert (d65_cohort.subject_id == warm_cohort.subject_id).all()
    assert (d65_cohort.melanin_fraction == warm_cohort.melanin_fraction).all()  # paired subjects
    shift = (warm_cohort.ita - d65_cohort.ita).groupby(d65_cohort.fitzpatrick, observed=True).mean()
    # Direction: light skin reads darker (b* up), dark skin reads lighter (ITA pulled to ~0).
    assert shift["I"] < -15 and shift["II"] < -10            # measured -28.7, -20.7
    assert shift["V"] > 10 and shift["VI"] > 15              # measured +17.0, +30.9
    assert _kappa(warm_cohort, "ita") < 0.5                  # measured 0.33 (vs 0.86 under D65)


def test_shades_of_grey_reduces_illumination_shift(d65_cohort, warm_cohort):
    raw_shift = (warm_cohort.ita - d65_cohort.ita).abs().mean()          # measured 17.7 deg
    sog_shift = (warm_cohort.ita_sog - d65_cohort.ita_sog).abs().mean()  # measured 14.0 deg
    assert sog_shift < 0.9 * raw_shift
    assert _kappa(warm_cohort, "ita_sog") > _kappa(warm_cohort, "ita") + 0.3   # 0.77 vs 0.33
    # ... at the price of a large positive bias: SoG greys the skin itself (b* -> 0).
    assert (d65_cohort.ita_sog - d65_cohort.true_ita).mean() > 10            # measured +20.9


def test_shades_of_grey_neutralises_a_cast_and_keeps_luminance():
    rng = np.random.default_rng(0)
    lin = rng.uniform(0.05, 0.6, (32, 32, 1)) * np.array([1.0, 0.8, 0.5])   # grey world with a cast
    out = sc.shades_of_grey(sc.srgb_encode(lin), p=6)
    est = np.mean(sc.srgb_decode(out) ** 6, axis=(0, 1)) ** (1 / 6)
    assert np.allclose(est / est.mean(), 1.0, atol=0.01)
    y = lambda a: (sc.srgb_decode(a) @ np.array([0.2126, 0.7152, 0.0722])).mean()
    assert abs(y(out) - y(sc.srgb_encode(lin))) < 0.02 * y(sc.srgb_encode(lin)) + 1e-3
    u8 = (sc.srgb_encode(lin) * 255).round().astype(np.uint8)
    assert sc.shades_of_grey(u8).dtype == np.float32


# ----------------------------------------------------------------------------- validation

@pytest.mark.parametrize("kwargs,field", [
    (dict(n_subjects=0), "n_subjects"),
    (dict(image_size=8), "image_size"),
    (dict(type_mix={"VII": 1.0}), "type_mix"),
    (dict(type_mix={"I": 0.0}), "type_mix"),
    (dict(melanoma_prevalence=1.5), "melanoma_prevalence"),
    (dict(presentation={"I": 1.0}), "presentation"),
    (dict(label_miss_rate=-0.1), "label_miss_rate"),
    (dict(device_mix={"scanner": 1.0}), "device_mix"),
    (dict(illuminant="led"), "illuminant"),
    (dict(cct_range=(6000.0, 3000.0)), "cct_range"),
    (dict(illuminant="daylight", cct_range=(3000.0, 6500.0)), "cct_range"),
    (dict(wb_error_sd_mired=-1.0), "wb_error_sd_mired"),
    (dict(wb_fixed_cct=100.0), "wb_fixed_cct"),
    (dict(hair_prob=1.2), "hair_prob"),
    (dict(marker_prob=-0.5), "marker_prob"),
    (dict(output_dtype="int16"), "output_dtype"),
])
def test_config_validation_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        sc.SkinCohortConfig(**kwargs)


def test_other_input_validation():
    with pytest.raises(ValueError, match="seed"):
        sc.generate_skin_cohort(sc.SkinCohortConfig(n_subjects=1, image_size=32), seed=-1)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="fitz"):
        sc.render_lesion_image(rng, 64, "VII", False)
    with pytest.raises(ValueError, match="device"):
        sc.render_lesion_image(rng, 64, "I", False, device="scanner")
    with pytest.raises(ValueError, match="melanin_fraction"):
        sc.render_lesion_image(rng, 64, "I", False, melanin_fraction=1.5)
    with pytest.raises(ValueError, match="rgb"):
        sc.ita_degrees(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="mask"):
        sc.ita_degrees(np.zeros((4, 4, 3)), np.ones((3, 3), bool))
    with pytest.raises(ValueError, match="cct"):
        sc.daylight_spd(3000.0)
