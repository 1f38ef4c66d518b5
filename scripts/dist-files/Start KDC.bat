@echo off
rem Starts KDC Sync and opens the web app in the default browser.
cd /d "%~dp0"
start "kdcd" kdcd.exe
timeout /t 2 /nobreak >nul
kdc.exe ui
