"""The watch's statistics with ``members=True`` equal the one-model definition member by member."""

import torch

from gradlab.watch import stats as S


def test_member_axis_statistics_equal_each_members_own():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 32, 5, generator=g)
    x[1, 3, 2] = float("nan")
    x[2, 0, 0] = float("inf")
    w = torch.randn(4, 6, 3, generator=g)
    w[3] = w[3, :1].expand(6, 3)  # identical rows: symmetry 0
    count, units, n = S.saturation(x.abs(), 0.5, (0,), members=True)
    wsq = (w * w).sum(dim=(1, 2))
    sym = S.row_symmetry(w, wsq, members=True)
    nonfinite = S.nonfinite_count(x, members=True)
    for i in range(4):
        one = S.saturation(x[i].abs(), 0.5, (0,))
        assert (count[i], units[i], n) == (one[0], one[1], one[2])
        assert nonfinite[i] == S.nonfinite_count(x[i])
        torch.testing.assert_close(sym[i], S.row_symmetry(w[i], wsq[i]), rtol=1e-5, atol=1e-6)
    assert nonfinite.tolist() == [0.0, 1.0, 1.0, 0.0]
    assert sym[3] == 0.0
