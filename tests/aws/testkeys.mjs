// The test server's key pairs (not secrets: documentation examples and made-up
// strings), shared by server.mjs, sdk-roundtrip.mjs and curl-sigv4.sh.
export const DEFAULT_CREDENTIALS = [
  // long-term key (the AWS documentation's example pair)
  { akid: 'AKIDEXAMPLE', secret: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', token: null },
  // temporary key: needs its session token, signed
  { akid: 'ASIAEXAMPLETEMPKEY01', secret: 'tEmPsEcReT/EXAMPLE+Key0123456789abcdefgh',
    token: 'IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJGMEQCIEXAMPLETOKEN==' },
];
