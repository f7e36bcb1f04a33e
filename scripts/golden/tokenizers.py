#!/usr/bin/env python3
"""Golden references for @vatt/tokenizers (run with /usr/bin/python3; torch 1.13, torchaudio 0.13).

Writes packages/tokenizers/test/golden/log_mel.json: log-mel spectrograms computed by
torchaudio.transforms.MelSpectrogram in float64 (default dtype set to float64 *before* the transform is built,
so its Hann window and mel filterbank are float64 too), then ln(mel + 1e-6), transposed to [B, frames, mels].

The test signals are regenerated on the TypeScript side from the parameters stored in the JSON (a linear chirp
plus uniform noise from the integer Park-Miller "minstd" generator, exact in both languages), so the waveforms
themselves are not stored. Values are stored with 10 significant digits (error < 1e-8, far below the 1e-5
tolerance).
"""
import json
import math
import os

import torch
import torchaudio

torch.set_default_dtype(torch.float64)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'packages', 'tokenizers', 'test', 'golden', 'log_mel.json')
LOG_OFFSET = 1e-6


def minstd_noise(seed, n):
  """Uniform noise in [-1, 1) from the minstd LCG: state <- state * 48271 mod (2^31 - 1)."""
  state = seed
  out = []
  for _ in range(n):
    state = (state * 48271) % 2147483647
    out.append(2.0 * state / 2147483647 - 1.0)
  return out


def chirp_plus_noise(signal):
  """0.5 * sin(2 pi (f0 t + (f1 - f0) t^2 / (2 T))) + noise_amp * noise, t = n / sr, T = S / sr."""
  sr, n, f0, f1, amp = signal['sampleRate'], signal['numSamples'], signal['f0'], signal['f1'], signal['noiseAmp']
  duration = n / sr
  noise = minstd_noise(signal['seed'], n)
  out = []
  for i in range(n):
    t = i / sr
    phase = 2.0 * math.pi * (f0 * t + (f1 - f0) * t * t / (2.0 * duration))
    out.append(0.5 * math.sin(phase) + amp * noise[i])
  return out


def case(name, signals, options):
  waveform = torch.tensor([chirp_plus_noise(s) for s in signals], dtype=torch.float64)
  transform = torchaudio.transforms.MelSpectrogram(
      sample_rate=options['sampleRate'],
      n_fft=options['nFft'],
      hop_length=options['hopLength'],
      n_mels=options['nMels'],
      f_min=options.get('fMin', 0.0),
      f_max=options.get('fMax'),
      power=options.get('power', 2.0),
      center=options.get('center', True),
  )
  assert transform.mel_scale.fb.dtype == torch.float64 and transform.spectrogram.window.dtype == torch.float64
  mel = transform(waveform)  # [B, n_mels, frames]
  log_mel = torch.log(mel + LOG_OFFSET).transpose(1, 2).contiguous()  # [B, frames, n_mels]
  return {
      'name': name,
      'signals': signals,
      'options': options,
      'shape': list(log_mel.shape),
      'logMel': [float('%.10g' % v) for v in log_mel.flatten().tolist()],
  }


def signal(sample_rate, num_samples, seed, f0=200.0, f1=12000.0, noise_amp=0.05):
  return {'sampleRate': sample_rate, 'numSamples': num_samples, 'seed': seed, 'f0': f0, 'f1': f1,
          'noiseAmp': noise_amp}


def main():
  vatt = {'sampleRate': 48000, 'nFft': 2048, 'hopLength': 1024, 'nMels': 80}  # docs/numerics.md §1.2
  cases = [
      # ~0.5 s chirp at 48 kHz with the VATT spectrogram settings (24 frames).
      case('chirp 0.5 s at 48 kHz', [signal(48000, 24000, 12345)], vatt),
      # A short batch of two clips, 1500 samples each (2 frames; reflect padding reaches past both ends).
      case('short batch at 48 kHz', [signal(48000, 1500, 7, 1000.0, 5000.0), signal(48000, 1500, 99, 300.0, 20000.0)],
           vatt),
      # Closer to the official TF path: no centering, magnitude, 80..7600 Hz (filters differ from TF's).
      case('uncentred magnitude 80-7600 Hz', [signal(48000, 24000, 2024)],
           dict(vatt, center=False, power=1.0, fMin=80.0, fMax=7600.0)),
      # Another rate and size: 16 kHz, 512-point FFT, hop 160, 40 mels.
      case('16 kHz 512-point', [signal(16000, 3200, 5, 100.0, 7000.0, 0.1)],
           {'sampleRate': 16000, 'nFft': 512, 'hopLength': 160, 'nMels': 40}),
  ]
  os.makedirs(os.path.dirname(OUT), exist_ok=True)
  with open(OUT, 'w') as f:
    json.dump({
        'source': 'torchaudio %s MelSpectrogram (float64), htk mel, no norm, periodic Hann, reflect padding; '
                  'log = ln(mel + %g); layout [B, frames, mels]' % (torchaudio.__version__, LOG_OFFSET),
        'logOffset': LOG_OFFSET,
        'cases': cases,
    }, f, separators=(',', ':'))
  print('wrote', OUT, os.path.getsize(OUT), 'bytes')


if __name__ == '__main__':
  main()
