process.env.TZ = 'Asia/Shanghai' // “today 18:00” in tests means Beijing time, whatever the machine's zone

module.exports = {
  testEnvironment: 'jsdom',
  testMatch: ['<rootDir>/test/**/*.test.js'],
  setupFilesAfterEnv: ['<rootDir>/test/setup.js'],
  // A page's `require('@vant/weapp/…')` resolves as in the mini program: to the npm build (miniprogram_npm/,
  // made by `npm test` → scripts/build-npm.js, or by WeChat DevTools' 构建 npm).
  moduleNameMapper: { '^@vant/weapp/(.*)$': '<rootDir>/miniprogram_npm/@vant/weapp/$1' },
  // The official WXML compiler (wcc, from miniprogram-compiler) runs once per page; give it time on cold CI.
  testTimeout: 90000,
}
