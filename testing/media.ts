// Real media files from Debian packages that the tests use as inputs (.ci/run installs them).

/** python3-imageio's sample folder (realshort.mp4, cockatoo.mp4, ...). */
export const IMAGEIO_MEDIA = '/usr/lib/python3/dist-packages/imageio/resources/images';
/** sonic-pi-samples' folder of FLAC samples (ambi_choir.flac, ...). */
export const SONIC_SAMPLES = '/usr/share/sonic-pi/samples';
