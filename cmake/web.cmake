# Builds the web UI and embeds it: run by the build (CMakeLists.txt, SNAG_WEB=ON) as
#   cmake -DNPM=npm -DWEB_DIR=web -DDIST=build/web-dist -DOUT=web_assets.c -DSYMBOL=name -P web.cmake
# Installs web/node_modules with `npm ci` when it is missing or older than package-lock.json,
# runs `vite build` into DIST (the build tree; the source tree gets only node_modules), then
# embeds every file of DIST with embed.cmake. A lock keeps two build trees from running npm in
# the same web/ at once.
cmake_minimum_required(VERSION 3.20)
string(MD5 lock_id "${WEB_DIR}")
file(LOCK "/tmp/snag-web-${lock_id}.lock" GUARD PROCESS TIMEOUT 1200)

set(stamp "${WEB_DIR}/node_modules/.package-lock.json")
if(NOT EXISTS "${stamp}" OR "${WEB_DIR}/package-lock.json" IS_NEWER_THAN "${stamp}")
    message(STATUS "web: npm ci")
    execute_process(COMMAND "${NPM}" ci --no-audit --no-fund --loglevel=error
        WORKING_DIRECTORY "${WEB_DIR}" RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "web: `npm ci` in ${WEB_DIR} failed (${rc}). It needs the npm registry "
            "once; or configure with -DSNAG_WEB=OFF to build snag without its UI.")
    endif()
endif()

execute_process(COMMAND "${NPM}" run --silent build -- --outDir "${DIST}" --emptyOutDir --logLevel warn
    WORKING_DIRECTORY "${WEB_DIR}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "web: `npm run build` in ${WEB_DIR} failed (${rc})")
endif()
if(NOT EXISTS "${DIST}/index.html")
    message(FATAL_ERROR "web: the build wrote no ${DIST}/index.html")
endif()

file(GLOB_RECURSE FILES LIST_DIRECTORIES false "${DIST}/*")
set(BASE "${DIST}")
include("${CMAKE_CURRENT_LIST_DIR}/embed.cmake")
