process.env.TZ = 'Asia/Shanghai' // “today 18:00” in tests means Beijing time, whatever the machine's zone

module.exports = {
  testEnvironment: 'jsdom',
  testMatch: ['<rootDir>/test/**/*.test.js'],
  setupFilesAfterEnv: ['<rootDir>/test/setup.js'],
  // The official WXML compiler (wcc, from miniprogram-compiler) runs once per page; give it time on cold CI.
  testTimeout: 20000,
}
