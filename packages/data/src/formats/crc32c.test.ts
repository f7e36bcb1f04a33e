import { crc32c, maskCrc, maskedCrc32c, unmaskCrc } from './crc32c.js';

const bytes = (s: string) => new TextEncoder().encode(s);

test('crc32c gives the published check value and continues across chunks', () => {
  // The CRC-32C check value of "123456789" (RFC 3720 / the Rocksoft catalogue).
  expect(crc32c(bytes('123456789'))).toBe(0xe3069283);
  expect(crc32c(bytes('56789'), crc32c(bytes('1234')))).toBe(0xe3069283);
  expect(crc32c(new Uint8Array(0))).toBe(0);
});

test('the mask is TensorFlow crc32c::Mask and unmask inverts it', () => {
  // TensorFlow's crc32c_test.cc: Mask(crc) != crc, Unmask(Mask(crc)) == crc, Mask(Mask(crc)) != crc.
  const c = crc32c(bytes('foo'));
  expect(maskCrc(c)).not.toBe(c);
  expect(unmaskCrc(maskCrc(c))).toBe(c);
  expect(maskCrc(maskCrc(c))).not.toBe(c);
  expect(maskedCrc32c(bytes('foo'))).toBe(maskCrc(c));
  // An empty TFRecord payload's masked CRC: Mask(0) = 0xa282ead8 (the mask constant itself).
  expect(maskCrc(0)).toBe(0xa282ead8);
});
