"""Password hashing: scrypt at production cost, self-describing, constant-time checks."""

from bastion.passwords import SCRYPT_N, hash_password, verify_password


def test_production_cost_and_round_trip():
    stored = hash_password("correct horse battery", n=SCRYPT_N)
    scheme, n, r, p, _salt, _digest = stored.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", 2**15, 8, 1)
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterz", stored)


def test_salted_and_never_plain():
    first, second = hash_password("same password 12"), hash_password("same password 12")
    assert first != second
    assert "same password 12" not in first


def test_malformed_stored_hash_is_a_mismatch():
    for stored in ("", "plain", "bcrypt$1$2$3$4$5", "scrypt$x$8$1$AA==$AA=="):
        assert verify_password("anything at all", stored) is False
