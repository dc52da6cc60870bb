"""Golden vectors of the RTL slice: memory images vs the NE16 weight layout, outputs vs naive."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.models.gap9 import arith
from sim.models.gap9.rtlslice import make_job


def test_3x3_weight_words_are_the_ne16_byte_layout() -> None:
    rng = np.random.default_rng(0)
    w = rng.integers(-16, 16, (5, 40, 3, 3))
    job = make_job("3x3", rng.integers(0, 256, (5, 5, 40)), w, 5,
                   arith.make_normquant(5, enabled=False, out_bits=32))
    packed = arith.pack_weights(arith.encode_weights(w, 5, "3x3"))
    # each slice word = 9 taps x 16 lanes = 18 bytes of the NE16 image, little-endian
    from_words = b"".join(word.to_bytes(18, "little") for word in job.w_words)
    assert from_words == packed.tobytes()


def test_job_expected_and_cycles_by_hand() -> None:
    x = np.arange(5 * 5 * 2).reshape(5, 5, 2) % 256
    w = np.zeros((1, 2, 3, 3), dtype=np.int64)
    w[0, 0, 1, 1] = 1  # centre tap of channel 0 only
    w[0, 1, 0, 0] = -1  # top-left tap of channel 1
    job = make_job("3x3", x, w, 2, arith.make_normquant(1, enabled=False, out_bits=32))
    for c in range(9):
        oy, ox = divmod(c, 3)
        assert job.expected[c, 0] == x[oy + 1, ox + 1, 0] - x[oy, ox, 1]
    # load 31 + woff 6 + mv 6 + 1*2 + update 2, no normquant, streamout 3 + 9*1 + 1
    assert job.cycles == 31 + 6 + 8 + 2 + 13
    assert job.woff == -2
    # 1x1, k = 3, Qw 4, 2 k_in subtiles, 16-bit out, bias: 2*(19+6+9+2) + (9+1+8+1) + (3+9+1)
    j1 = make_job("1x1", np.ones((3, 3, 20)), np.ones((3, 20, 1, 1)), 4,
                  arith.make_normquant(3, bias=1, out_bits=16))
    assert j1.cycles == 2 * 36 + 19 + 13
    assert len(j1.out_words(3)) == 9


def test_out_words_pack_channels() -> None:
    job = make_job("1x1", np.full((3, 3, 1), 2), np.array([[[[1]]], [[[-1]]]]), 2,
                   arith.make_normquant(2, relu=False))
    # outputs 2 and -2 in 8-bit two's complement: byte 0 = 0x02, byte 1 = 0xFE
    assert job.out_words(3)[0] == 0xFE02


def test_bad_slice_jobs() -> None:
    nq = arith.make_normquant(17)
    with pytest.raises(SimError, match="at most 16"):
        make_job("dw", np.zeros((5, 5, 17)), np.zeros((17, 1, 3, 3)), 4, nq)
    with pytest.raises(SimError, match="window"):
        make_job("3x3", np.zeros((4, 4, 3)), np.zeros((2, 3, 3, 3)), 4, arith.make_normquant(2))
