"Speed of medfair.normalize / medfair.spatial relative to the plain library calls they wrap (ratios, not timed tests)."
import timeit
import numpy as np
from scipy import ndimage as ndi, stats as sps
from skimage import transform as sktf
from medfair.normalize import AdaptiveNormalizer, MultiSiteNormalizer
from medfair.spatial import resample, register_rigid, _rigid_matrix

def t(f, n=20): return min(timeit.repeat(f, number=1, repeat=n))

rng = np.random.default_rng(0)
img = rng.random((128, 128)); vol = rng.random((32, 64, 64))
base = t(lambda: sps.zscore(img, axis=None))
print(f"AdaptiveNormalizer zscore / scipy.stats.zscore: {t(lambda: AdaptiveNormalizer('zscore')(img)) / base:.2f}x")
base = t(lambda: ndi.zoom(vol, (1.5, 1.5, 1.5), order=1, grid_mode=True, mode='nearest'))
print(f"resample 3D (anti-aliased, skimage) / scipy.ndimage.zoom: {t(lambda: resample(vol, 1.0, 1 / 1.5)) / base:.2f}x")
ims = rng.random((60, 64, 64)); sites = np.repeat(["a", "b", "c"], 20)
m = MultiSiteNormalizer("nyul").fit(ims, sites)
base = t(lambda: [np.percentile(x, [1, 99]) for x in ims], 5)
print(f"MultiSiteNormalizer nyul transform_many / per-image np.percentile: {t(lambda: m.transform_many(ims, sites), 5) / base:.2f}x")
f = sktf.resize(np.kron(rng.random((8, 8)), np.ones((8, 8))), (64, 64))
mov = sktf.warp(f, sktf.AffineTransform(matrix=_rigid_matrix(8, 3, -2, (31.5, 31.5))))
base = t(lambda: sktf.warp(f, sktf.AffineTransform(matrix=_rigid_matrix(8, 3, -2, (31.5, 31.5)))))
print(f"register_rigid (ncc, 64 px) / one skimage warp: {t(lambda: register_rigid(mov, f), 3) / base:.0f}x")
