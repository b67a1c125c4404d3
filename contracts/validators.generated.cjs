/**
 * Validators of every event contract version in schemas/, precompiled by
 * scripts/generate-validators.ts with ajv's standalone code generation. Do not edit:
 * change the schema (or add a version) and run `npm run generate:types`. A unit test
 * fails when this file is stale.
 *
 * contracts/precompiled-validators.ts reads it: { [event type]: { [version]:
 * { fingerprint, validate } } }, the fingerprint being the schema's (schema-fingerprint.ts).
 */
'use strict';

// Runs one version's standalone module (which assigns module.exports) in its own scope.
function standalone(body) {
  const module = { exports: {} };
  body(module);
  return module.exports;
}

module.exports = {
  "subscription.changed": {
    // subscription.changed v1 (draft-07)
    1: {
      fingerprint: "bee2fb306cf02ed964c51603dd842a577e115a9f458f84cc647063b3b4c5cc97",
      validate: standalone((module) => {
        "use strict";
        module.exports = validate10;
        module.exports.default = validate10;
        const schema11 = {"$id":"urn:fanout:contract:subscription.changed:v1","title":"SubscriptionChanged","description":"An account's subscription changed. Changes of one account must be applied in order; the event's subject is the account id and the FIFO message group.","type":"object","properties":{"accountId":{"type":"string","pattern":"^acct_[A-Za-z0-9]{6,32}$"},"sequence":{"type":"integer","minimum":1,"description":"Per-account change counter."},"action":{"type":"string","enum":["created","upgraded","downgraded","cancelled"]},"plan":{"type":"string","enum":["free","pro","enterprise"]},"seats":{"type":"integer","minimum":1,"maximum":100000},"effectiveAt":{"type":"string","format":"date-time"}},"required":["accountId","sequence","action","plan","seats","effectiveAt"],"additionalProperties":false,"examples":[{"accountId":"acct_4b7e21d0","sequence":1,"action":"created","plan":"pro","seats":5,"effectiveAt":"2026-11-28T09:31:00Z"}]};
        const pattern0 = new RegExp("^acct_[A-Za-z0-9]{6,32}$", "u");
        const formats0 = require("ajv-formats/dist/formats").fullFormats["date-time"];

        function validate10(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
        /*# sourceURL="urn:fanout:contract:subscription.changed:v1" */;
        let vErrors = null;
        let errors = 0;
        if(data && typeof data == "object" && !Array.isArray(data)){
        if(data.accountId === undefined){
        const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "accountId"},message:"must have required property '"+"accountId"+"'"};
        if(vErrors === null){
        vErrors = [err0];
        }
        else {
        vErrors.push(err0);
        }
        errors++;
        }
        if(data.sequence === undefined){
        const err1 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "sequence"},message:"must have required property '"+"sequence"+"'"};
        if(vErrors === null){
        vErrors = [err1];
        }
        else {
        vErrors.push(err1);
        }
        errors++;
        }
        if(data.action === undefined){
        const err2 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "action"},message:"must have required property '"+"action"+"'"};
        if(vErrors === null){
        vErrors = [err2];
        }
        else {
        vErrors.push(err2);
        }
        errors++;
        }
        if(data.plan === undefined){
        const err3 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "plan"},message:"must have required property '"+"plan"+"'"};
        if(vErrors === null){
        vErrors = [err3];
        }
        else {
        vErrors.push(err3);
        }
        errors++;
        }
        if(data.seats === undefined){
        const err4 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "seats"},message:"must have required property '"+"seats"+"'"};
        if(vErrors === null){
        vErrors = [err4];
        }
        else {
        vErrors.push(err4);
        }
        errors++;
        }
        if(data.effectiveAt === undefined){
        const err5 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "effectiveAt"},message:"must have required property '"+"effectiveAt"+"'"};
        if(vErrors === null){
        vErrors = [err5];
        }
        else {
        vErrors.push(err5);
        }
        errors++;
        }
        for(const key0 in data){
        if(!((((((key0 === "accountId") || (key0 === "sequence")) || (key0 === "action")) || (key0 === "plan")) || (key0 === "seats")) || (key0 === "effectiveAt"))){
        const err6 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties"};
        if(vErrors === null){
        vErrors = [err6];
        }
        else {
        vErrors.push(err6);
        }
        errors++;
        }
        }
        if(data.accountId !== undefined){
        let data0 = data.accountId;
        if(typeof data0 === "string"){
        if(!pattern0.test(data0)){
        const err7 = {instancePath:instancePath+"/accountId",schemaPath:"#/properties/accountId/pattern",keyword:"pattern",params:{pattern: "^acct_[A-Za-z0-9]{6,32}$"},message:"must match pattern \""+"^acct_[A-Za-z0-9]{6,32}$"+"\""};
        if(vErrors === null){
        vErrors = [err7];
        }
        else {
        vErrors.push(err7);
        }
        errors++;
        }
        }
        else {
        const err8 = {instancePath:instancePath+"/accountId",schemaPath:"#/properties/accountId/type",keyword:"type",params:{type: "string"},message:"must be string"};
        if(vErrors === null){
        vErrors = [err8];
        }
        else {
        vErrors.push(err8);
        }
        errors++;
        }
        }
        if(data.sequence !== undefined){
        let data1 = data.sequence;
        if(!((typeof data1 == "number") && (!(data1 % 1) && !isNaN(data1)))){
        const err9 = {instancePath:instancePath+"/sequence",schemaPath:"#/properties/sequence/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
        if(vErrors === null){
        vErrors = [err9];
        }
        else {
        vErrors.push(err9);
        }
        errors++;
        }
        if(typeof data1 == "number"){
        if(data1 < 1 || isNaN(data1)){
        const err10 = {instancePath:instancePath+"/sequence",schemaPath:"#/properties/sequence/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
        if(vErrors === null){
        vErrors = [err10];
        }
        else {
        vErrors.push(err10);
        }
        errors++;
        }
        }
        }
        if(data.action !== undefined){
        let data2 = data.action;
        if(typeof data2 !== "string"){
        const err11 = {instancePath:instancePath+"/action",schemaPath:"#/properties/action/type",keyword:"type",params:{type: "string"},message:"must be string"};
        if(vErrors === null){
        vErrors = [err11];
        }
        else {
        vErrors.push(err11);
        }
        errors++;
        }
        if(!((((data2 === "created") || (data2 === "upgraded")) || (data2 === "downgraded")) || (data2 === "cancelled"))){
        const err12 = {instancePath:instancePath+"/action",schemaPath:"#/properties/action/enum",keyword:"enum",params:{allowedValues: schema11.properties.action.enum},message:"must be equal to one of the allowed values"};
        if(vErrors === null){
        vErrors = [err12];
        }
        else {
        vErrors.push(err12);
        }
        errors++;
        }
        }
        if(data.plan !== undefined){
        let data3 = data.plan;
        if(typeof data3 !== "string"){
        const err13 = {instancePath:instancePath+"/plan",schemaPath:"#/properties/plan/type",keyword:"type",params:{type: "string"},message:"must be string"};
        if(vErrors === null){
        vErrors = [err13];
        }
        else {
        vErrors.push(err13);
        }
        errors++;
        }
        if(!(((data3 === "free") || (data3 === "pro")) || (data3 === "enterprise"))){
        const err14 = {instancePath:instancePath+"/plan",schemaPath:"#/properties/plan/enum",keyword:"enum",params:{allowedValues: schema11.properties.plan.enum},message:"must be equal to one of the allowed values"};
        if(vErrors === null){
        vErrors = [err14];
        }
        else {
        vErrors.push(err14);
        }
        errors++;
        }
        }
        if(data.seats !== undefined){
        let data4 = data.seats;
        if(!((typeof data4 == "number") && (!(data4 % 1) && !isNaN(data4)))){
        const err15 = {instancePath:instancePath+"/seats",schemaPath:"#/properties/seats/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
        if(vErrors === null){
        vErrors = [err15];
        }
        else {
        vErrors.push(err15);
        }
        errors++;
        }
        if(typeof data4 == "number"){
        if(data4 > 100000 || isNaN(data4)){
        const err16 = {instancePath:instancePath+"/seats",schemaPath:"#/properties/seats/maximum",keyword:"maximum",params:{comparison: "<=", limit: 100000},message:"must be <= 100000"};
        if(vErrors === null){
        vErrors = [err16];
        }
        else {
        vErrors.push(err16);
        }
        errors++;
        }
        if(data4 < 1 || isNaN(data4)){
        const err17 = {instancePath:instancePath+"/seats",schemaPath:"#/properties/seats/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
        if(vErrors === null){
        vErrors = [err17];
        }
        else {
        vErrors.push(err17);
        }
        errors++;
        }
        }
        }
        if(data.effectiveAt !== undefined){
        let data5 = data.effectiveAt;
        if(typeof data5 === "string"){
        if(!(formats0.validate(data5))){
        const err18 = {instancePath:instancePath+"/effectiveAt",schemaPath:"#/properties/effectiveAt/format",keyword:"format",params:{format: "date-time"},message:"must match format \""+"date-time"+"\""};
        if(vErrors === null){
        vErrors = [err18];
        }
        else {
        vErrors.push(err18);
        }
        errors++;
        }
        }
        else {
        const err19 = {instancePath:instancePath+"/effectiveAt",schemaPath:"#/properties/effectiveAt/type",keyword:"type",params:{type: "string"},message:"must be string"};
        if(vErrors === null){
        vErrors = [err19];
        }
        else {
        vErrors.push(err19);
        }
        errors++;
        }
        }
        }
        else {
        const err20 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
        if(vErrors === null){
        vErrors = [err20];
        }
        else {
        vErrors.push(err20);
        }
        errors++;
        }
        validate10.errors = vErrors;
        return errors === 0;
        }
      }),
    },
  },
  "user.profile-updated": {
    // user.profile-updated v1 (draft-07)
    1: {
      fingerprint: "d1b924d951d68149b0ad0b09870e9389c71cb25731436ae9490b1b45435906f5",
      validate: standalone((module) => {
        "use strict";
        module.exports = validate10;
        module.exports.default = validate10;
        const schema11 = {"$id":"urn:fanout:contract:user.profile-updated:v1","title":"UserProfileUpdated","description":"A person changed their profile. revision grows by one with every change of the same user, so consumers can refuse to apply an older change over a newer one.","type":"object","properties":{"userId":{"type":"string","pattern":"^usr_[A-Za-z0-9]{6,32}$"},"revision":{"type":"integer","minimum":1,"description":"Per-user change counter."},"email":{"type":"string","format":"email","maxLength":254},"name":{"type":"string","minLength":1,"maxLength":200},"updatedAt":{"type":"string","format":"date-time"}},"required":["userId","revision","updatedAt"],"additionalProperties":false,"examples":[{"userId":"usr_9f2c1a7b","revision":2,"name":"Ada King","updatedAt":"2026-11-28T10:00:00Z"}]};
        const pattern0 = new RegExp("^usr_[A-Za-z0-9]{6,32}$", "u");
        const formats0 = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
        const formats2 = require("ajv-formats/dist/formats").fullFormats["date-time"];
        const func2 = require("ajv/dist/runtime/ucs2length").default;

        function validate10(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
        /*# sourceURL="urn:fanout:contract:user.profile-updated:v1" */;
        let vErrors = null;
        let errors = 0;
        if(data && typeof data == "object" && !Array.isArray(data)){
        if(data.userId === undefined){
        const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "userId"},message:"must have required property '"+"userId"+"'"};
        if(vErrors === null){
        vErrors = [err0];
        }
        else {
        vErrors.push(err0);
        }
        errors++;
        }
        if(data.revision === undefined){
        const err1 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "revision"},message:"must have required property '"+"revision"+"'"};
        if(vErrors === null){
        vErrors = [err1];
        }
        else {
        vErrors.push(err1);
        }
        errors++;
        }
        if(data.updatedAt === undefined){
        const err2 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "updatedAt"},message:"must have required property '"+"updatedAt"+"'"};
        if(vErrors === null){
        vErrors = [err2];
        }
        else {
        vErrors.push(err2);
        }
        errors++;
        }
        for(const key0 in data){
        if(!(((((key0 === "userId") || (key0 === "revision")) || (key0 === "email")) || (key0 === "name")) || (key0 === "updatedAt"))){
        const err3 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties"};
        if(vErrors === null){
        vErrors = [err3];
        }
        else {
        vErrors.push(err3);
        }
        errors++;
        }
        }
        if(data.userId !== undefined){
        let data0 = data.userId;
        if(typeof data0 === "string"){
        if(!pattern0.test(data0)){
        const err4 = {instancePath:instancePath+"/userId",schemaPath:"#/properties/userId/pattern",keyword:"pattern",params:{pattern: "^usr_[A-Za-z0-9]{6,32}$"},message:"must match pattern \""+"^usr_[A-Za-z0-9]{6,32}$"+"\""};
        if(vErrors === null){
        vErrors = [err4];
        }
        else {
        vErrors.push(err4);
        }
        errors++;
        }
        }
        else {
        const err5 = {instancePath:instancePath+"/userId",schemaPath:"#/properties/userId/type",keyword:"type",params:{type: "string"},message:"must be string"};
        if(vErrors === null){
        vErrors = [err5];
        }
        else {
        vErrors.push(err5);
        }
        errors++;
        }
        }
        if(data.revision !== undefined){
        let data1 = data.revision;
        if(!((typeof data1 == "number") && (!(data1 % 1) && !isNaN(data1)))){
        const err6 = {instancePath:instancePath+"/revision",schemaPath:"#/properties/revision/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
        if(vErrors === null){
        vErrors = [err6];
        }
        else {
        vErrors.push(err6);
        }
        errors++;
        }
        if(typeof data1 == "number"){
        if(data1 < 1 || isNaN(data1)){
        const err7 = {instancePath:instancePath+"/revision",schemaPath:"#/properties/revision/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
        if(vErrors === null){
        vErrors = [err7];
        }
        else {
        vErrors.push(err7);
        }
        errors++;
        }
        }
        }
        if(data.email !== undefined){
        let data2 = data.email;
        if(typeof data2 === "string"){
        if(func2(data2) > 254){
        const err8 = {instancePath:instancePath+"/email",schemaPath:"#/properties/email/maxLength",keyword:"maxLength",params:{limit: 254},message:"must NOT have more than 254 characters"};
        if(vErrors === null){
        vErrors = [err8];
        }
        else {
        vErrors.push(err8);
        }
        errors++;
        }
        if(!(formats0.test(data2))){
        const err9 = {instancePath:instancePath+"/email",schemaPath:"#/properties/email/format",keyword:"format",params:{format: "email"},message:"must match format \""+"email"+"\""};
        if(vErrors === null){
        vErrors = [err9];
        }
        else {
        vErrors.push(err9);
        }
        errors++;
        }
        }
        else {
        const err10 = {instancePath:instancePath+"/email",schemaPath:"#/properties/email/type",keyword:"type",params:{type: "string"},message:"must be string"};
        if(vErrors === null){
        vErrors = [err10];
        }
        else {
        vErrors.push(err10);
        }
        errors++;
        }
        }
        if(data.name !== undefined){
        let data3 = data.name;
        if(typeof data3 === "string"){
        if(func2(data3) > 200){
        const err11 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/maxLength",keyword:"maxLength",params:{limit: 200},message:"must NOT have more than 200 characters"};
        if(vErrors === null){
        vErrors = [err11];
        }
        else {
        vErrors.push(err11);
        }
        errors++;
        }
        if(func2(data3) < 1){
        const err12 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
        if(vErrors === null){
        vErrors = [err12];
        }
        else {
        vErrors.push(err12);
        }
        errors++;
        }
        }
        else {
        const err13 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string"};
        if(vErrors === null){
        vErrors = [err13];
        }
        else {
        vErrors.push(err13);
        }
        errors++;
        }
        }
        if(data.updatedAt !== undefined){
        let data4 = data.updatedAt;
        if(typeof data4 === "string"){
        if(!(formats2.validate(data4))){
        const err14 = {instancePath:instancePath+"/updatedAt",schemaPath:"#/properties/updatedAt/format",keyword:"format",params:{format: "date-time"},message:"must match format \""+"date-time"+"\""};
        if(vErrors === null){
        vErrors = [err14];
        }
        else {
        vErrors.push(err14);
        }
        errors++;
        }
        }
        else {
        const err15 = {instancePath:instancePath+"/updatedAt",schemaPath:"#/properties/updatedAt/type",keyword:"type",params:{type: "string"},message:"must be string"};
        if(vErrors === null){
        vErrors = [err15];
        }
        else {
        vErrors.push(err15);
        }
        errors++;
        }
        }
        }
        else {
        const err16 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
        if(vErrors === null){
        vErrors = [err16];
        }
        else {
        vErrors.push(err16);
        }
        errors++;
        }
        validate10.errors = vErrors;
        return errors === 0;
        }
      }),
    },
  },
  "user.signed-up": {
    // user.signed-up v1 (draft-07)
    1: {
      fingerprint: "c9cb4b54f989f4670f5cba2d861e85161e3f75adaad3fc025233d81ba6a51d5d",
      validate: standalone((module) => {
        "use strict";
        module.exports = validate10;
        module.exports.default = validate10;
        const schema11 = {"$id":"urn:fanout:contract:user.signed-up:v1","title":"UserSignedUp","description":"A person created an account in the web app.","type":"object","properties":{"userId":{"type":"string","pattern":"^usr_[A-Za-z0-9]{6,32}$","description":"The web app's user id."},"email":{"type":"string","format":"email","maxLength":254},"name":{"type":"string","minLength":1,"maxLength":200},"plan":{"type":"string","enum":["free","pro","enterprise"]},"signedUpAt":{"type":"string","format":"date-time"}},"required":["userId","email","name","plan","signedUpAt"],"additionalProperties":false,"examples":[{"userId":"usr_9f2c1a7b","email":"ada@example.com","name":"Ada Lovelace","plan":"free","signedUpAt":"2026-11-28T09:30:00Z"}]};
        const pattern0 = new RegExp("^usr_[A-Za-z0-9]{6,32}$", "u");
        const formats0 = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
        const formats2 = require("ajv-formats/dist/formats").fullFormats["date-time"];
        const func2 = require("ajv/dist/runtime/ucs2length").default;

        function validate10(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
        /*# sourceURL="urn:fanout:contract:user.signed-up:v1" */;
        let vErrors = null;
        let errors = 0;
        if(data && typeof data == "object" && !Array.isArray(data)){
        if(data.userId === undefined){
        const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "userId"},message:"must have required property '"+"userId"+"'"};
        if(vErrors === null){
        vErrors = [err0];
        }
        else {
        vErrors.push(err0);
        }
        errors++;
        }
        if(data.email === undefined){
        const err1 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "email"},message:"must have required property '"+"email"+"'"};
        if(vErrors === null){
        vErrors = [err1];
        }
        else {
        vErrors.push(err1);
        }
        errors++;
        }
        if(data.name === undefined){
        const err2 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "name"},message:"must have required property '"+"name"+"'"};
        if(vErrors === null){
        vErrors = [err2];
        }
        else {
        vErrors.push(err2);
        }
        errors++;
        }
        if(data.plan === undefined){
        const err3 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "plan"},message:"must have required property '"+"plan"+"'"};
        if(vErrors === null){
        vErrors = [err3];
        }
        else {
        vErrors.push(err3);
        }
        errors++;
        }
        if(data.signedUpAt === undefined){
        const err4 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "signedUpAt"},message:"must have required property '"+"signedUpAt"+"'"};
        if(vErrors === null){
        vErrors = [err4];
        }
        else {
        vErrors.push(err4);
        }
        errors++;
        }
        for(const key0 in data){
        if(!(((((key0 === "userId") || (key0 === "email")) || (key0 === "name")) || (key0 === "plan")) || (key0 === "signedUpAt"))){
        const err5 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties"};
        if(vErrors === null){
        vErrors = [err5];
        }
        else {
        vErrors.push(err5);
        }
        errors++;
        }
        }
        if(data.userId !== undefined){
        let data0 = data.userId;
        if(typeof data0 === "string"){
        if(!pattern0.test(data0)){
        const err6 = {instancePath:instancePath+"/userId",schemaPath:"#/properties/userId/pattern",keyword:"pattern",params:{pattern: "^usr_[A-Za-z0-9]{6,32}$"},message:"must match pattern \""+"^usr_[A-Za-z0-9]{6,32}$"+"\""};
        if(vErrors === null){
        vErrors = [err6];
        }
        else {
        vErrors.push(err6);
        }
        errors++;
        }
        }
        else {
        const err7 = {instancePath:instancePath+"/userId",schemaPath:"#/properties/userId/type",keyword:"type",params:{type: "string"},message:"must be string"};
        if(vErrors === null){
        vErrors = [err7];
        }
        else {
        vErrors.push(err7);
        }
        errors++;
        }
        }
        if(data.email !== undefined){
        let data1 = data.email;
        if(typeof data1 === "string"){
        if(func2(data1) > 254){
        const err8 = {instancePath:instancePath+"/email",schemaPath:"#/properties/email/maxLength",keyword:"maxLength",params:{limit: 254},message:"must NOT have more than 254 characters"};
        if(vErrors === null){
        vErrors = [err8];
        }
        else {
        vErrors.push(err8);
        }
        errors++;
        }
        if(!(formats0.test(data1))){
        const err9 = {instancePath:instancePath+"/email",schemaPath:"#/properties/email/format",keyword:"format",params:{format: "email"},message:"must match format \""+"email"+"\""};
        if(vErrors === null){
        vErrors = [err9];
        }
        else {
        vErrors.push(err9);
        }
        errors++;
        }
        }
        else {
        const err10 = {instancePath:instancePath+"/email",schemaPath:"#/properties/email/type",keyword:"type",params:{type: "string"},message:"must be string"};
        if(vErrors === null){
        vErrors = [err10];
        }
        else {
        vErrors.push(err10);
        }
        errors++;
        }
        }
        if(data.name !== undefined){
        let data2 = data.name;
        if(typeof data2 === "string"){
        if(func2(data2) > 200){
        const err11 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/maxLength",keyword:"maxLength",params:{limit: 200},message:"must NOT have more than 200 characters"};
        if(vErrors === null){
        vErrors = [err11];
        }
        else {
        vErrors.push(err11);
        }
        errors++;
        }
        if(func2(data2) < 1){
        const err12 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
        if(vErrors === null){
        vErrors = [err12];
        }
        else {
        vErrors.push(err12);
        }
        errors++;
        }
        }
        else {
        const err13 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string"};
        if(vErrors === null){
        vErrors = [err13];
        }
        else {
        vErrors.push(err13);
        }
        errors++;
        }
        }
        if(data.plan !== undefined){
        let data3 = data.plan;
        if(typeof data3 !== "string"){
        const err14 = {instancePath:instancePath+"/plan",schemaPath:"#/properties/plan/type",keyword:"type",params:{type: "string"},message:"must be string"};
        if(vErrors === null){
        vErrors = [err14];
        }
        else {
        vErrors.push(err14);
        }
        errors++;
        }
        if(!(((data3 === "free") || (data3 === "pro")) || (data3 === "enterprise"))){
        const err15 = {instancePath:instancePath+"/plan",schemaPath:"#/properties/plan/enum",keyword:"enum",params:{allowedValues: schema11.properties.plan.enum},message:"must be equal to one of the allowed values"};
        if(vErrors === null){
        vErrors = [err15];
        }
        else {
        vErrors.push(err15);
        }
        errors++;
        }
        }
        if(data.signedUpAt !== undefined){
        let data4 = data.signedUpAt;
        if(typeof data4 === "string"){
        if(!(formats2.validate(data4))){
        const err16 = {instancePath:instancePath+"/signedUpAt",schemaPath:"#/properties/signedUpAt/format",keyword:"format",params:{format: "date-time"},message:"must match format \""+"date-time"+"\""};
        if(vErrors === null){
        vErrors = [err16];
        }
        else {
        vErrors.push(err16);
        }
        errors++;
        }
        }
        else {
        const err17 = {instancePath:instancePath+"/signedUpAt",schemaPath:"#/properties/signedUpAt/type",keyword:"type",params:{type: "string"},message:"must be string"};
        if(vErrors === null){
        vErrors = [err17];
        }
        else {
        vErrors.push(err17);
        }
        errors++;
        }
        }
        }
        else {
        const err18 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
        if(vErrors === null){
        vErrors = [err18];
        }
        else {
        vErrors.push(err18);
        }
        errors++;
        }
        validate10.errors = vErrors;
        return errors === 0;
        }
      }),
    },
    // user.signed-up v2 (draft-07)
    2: {
      fingerprint: "61ed29a57103fe088269f738a133363fc8d5d3c0ecc92f358e22de18d935c3d2",
      validate: standalone((module) => {
        "use strict";
        module.exports = validate10;
        module.exports.default = validate10;
        const schema11 = {"$id":"urn:fanout:contract:user.signed-up:v2","title":"UserSignedUp","description":"A person created an account in the web app. v2 adds the optional marketingOptIn consent flag.","type":"object","properties":{"userId":{"type":"string","pattern":"^usr_[A-Za-z0-9]{6,32}$","description":"The web app's user id."},"email":{"type":"string","format":"email","maxLength":254},"name":{"type":"string","minLength":1,"maxLength":200},"plan":{"type":"string","enum":["free","pro","enterprise"]},"signedUpAt":{"type":"string","format":"date-time"},"marketingOptIn":{"type":"boolean","description":"The person agreed to receive marketing email."}},"required":["userId","email","name","plan","signedUpAt"],"additionalProperties":false,"examples":[{"userId":"usr_9f2c1a7b","email":"ada@example.com","name":"Ada Lovelace","plan":"pro","signedUpAt":"2026-11-28T09:30:00Z","marketingOptIn":true}]};
        const pattern0 = new RegExp("^usr_[A-Za-z0-9]{6,32}$", "u");
        const formats0 = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
        const formats2 = require("ajv-formats/dist/formats").fullFormats["date-time"];
        const func2 = require("ajv/dist/runtime/ucs2length").default;

        function validate10(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
        /*# sourceURL="urn:fanout:contract:user.signed-up:v2" */;
        let vErrors = null;
        let errors = 0;
        if(data && typeof data == "object" && !Array.isArray(data)){
        if(data.userId === undefined){
        const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "userId"},message:"must have required property '"+"userId"+"'"};
        if(vErrors === null){
        vErrors = [err0];
        }
        else {
        vErrors.push(err0);
        }
        errors++;
        }
        if(data.email === undefined){
        const err1 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "email"},message:"must have required property '"+"email"+"'"};
        if(vErrors === null){
        vErrors = [err1];
        }
        else {
        vErrors.push(err1);
        }
        errors++;
        }
        if(data.name === undefined){
        const err2 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "name"},message:"must have required property '"+"name"+"'"};
        if(vErrors === null){
        vErrors = [err2];
        }
        else {
        vErrors.push(err2);
        }
        errors++;
        }
        if(data.plan === undefined){
        const err3 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "plan"},message:"must have required property '"+"plan"+"'"};
        if(vErrors === null){
        vErrors = [err3];
        }
        else {
        vErrors.push(err3);
        }
        errors++;
        }
        if(data.signedUpAt === undefined){
        const err4 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "signedUpAt"},message:"must have required property '"+"signedUpAt"+"'"};
        if(vErrors === null){
        vErrors = [err4];
        }
        else {
        vErrors.push(err4);
        }
        errors++;
        }
        for(const key0 in data){
        if(!((((((key0 === "userId") || (key0 === "email")) || (key0 === "name")) || (key0 === "plan")) || (key0 === "signedUpAt")) || (key0 === "marketingOptIn"))){
        const err5 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties"};
        if(vErrors === null){
        vErrors = [err5];
        }
        else {
        vErrors.push(err5);
        }
        errors++;
        }
        }
        if(data.userId !== undefined){
        let data0 = data.userId;
        if(typeof data0 === "string"){
        if(!pattern0.test(data0)){
        const err6 = {instancePath:instancePath+"/userId",schemaPath:"#/properties/userId/pattern",keyword:"pattern",params:{pattern: "^usr_[A-Za-z0-9]{6,32}$"},message:"must match pattern \""+"^usr_[A-Za-z0-9]{6,32}$"+"\""};
        if(vErrors === null){
        vErrors = [err6];
        }
        else {
        vErrors.push(err6);
        }
        errors++;
        }
        }
        else {
        const err7 = {instancePath:instancePath+"/userId",schemaPath:"#/properties/userId/type",keyword:"type",params:{type: "string"},message:"must be string"};
        if(vErrors === null){
        vErrors = [err7];
        }
        else {
        vErrors.push(err7);
        }
        errors++;
        }
        }
        if(data.email !== undefined){
        let data1 = data.email;
        if(typeof data1 === "string"){
        if(func2(data1) > 254){
        const err8 = {instancePath:instancePath+"/email",schemaPath:"#/properties/email/maxLength",keyword:"maxLength",params:{limit: 254},message:"must NOT have more than 254 characters"};
        if(vErrors === null){
        vErrors = [err8];
        }
        else {
        vErrors.push(err8);
        }
        errors++;
        }
        if(!(formats0.test(data1))){
        const err9 = {instancePath:instancePath+"/email",schemaPath:"#/properties/email/format",keyword:"format",params:{format: "email"},message:"must match format \""+"email"+"\""};
        if(vErrors === null){
        vErrors = [err9];
        }
        else {
        vErrors.push(err9);
        }
        errors++;
        }
        }
        else {
        const err10 = {instancePath:instancePath+"/email",schemaPath:"#/properties/email/type",keyword:"type",params:{type: "string"},message:"must be string"};
        if(vErrors === null){
        vErrors = [err10];
        }
        else {
        vErrors.push(err10);
        }
        errors++;
        }
        }
        if(data.name !== undefined){
        let data2 = data.name;
        if(typeof data2 === "string"){
        if(func2(data2) > 200){
        const err11 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/maxLength",keyword:"maxLength",params:{limit: 200},message:"must NOT have more than 200 characters"};
        if(vErrors === null){
        vErrors = [err11];
        }
        else {
        vErrors.push(err11);
        }
        errors++;
        }
        if(func2(data2) < 1){
        const err12 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
        if(vErrors === null){
        vErrors = [err12];
        }
        else {
        vErrors.push(err12);
        }
        errors++;
        }
        }
        else {
        const err13 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string"};
        if(vErrors === null){
        vErrors = [err13];
        }
        else {
        vErrors.push(err13);
        }
        errors++;
        }
        }
        if(data.plan !== undefined){
        let data3 = data.plan;
        if(typeof data3 !== "string"){
        const err14 = {instancePath:instancePath+"/plan",schemaPath:"#/properties/plan/type",keyword:"type",params:{type: "string"},message:"must be string"};
        if(vErrors === null){
        vErrors = [err14];
        }
        else {
        vErrors.push(err14);
        }
        errors++;
        }
        if(!(((data3 === "free") || (data3 === "pro")) || (data3 === "enterprise"))){
        const err15 = {instancePath:instancePath+"/plan",schemaPath:"#/properties/plan/enum",keyword:"enum",params:{allowedValues: schema11.properties.plan.enum},message:"must be equal to one of the allowed values"};
        if(vErrors === null){
        vErrors = [err15];
        }
        else {
        vErrors.push(err15);
        }
        errors++;
        }
        }
        if(data.signedUpAt !== undefined){
        let data4 = data.signedUpAt;
        if(typeof data4 === "string"){
        if(!(formats2.validate(data4))){
        const err16 = {instancePath:instancePath+"/signedUpAt",schemaPath:"#/properties/signedUpAt/format",keyword:"format",params:{format: "date-time"},message:"must match format \""+"date-time"+"\""};
        if(vErrors === null){
        vErrors = [err16];
        }
        else {
        vErrors.push(err16);
        }
        errors++;
        }
        }
        else {
        const err17 = {instancePath:instancePath+"/signedUpAt",schemaPath:"#/properties/signedUpAt/type",keyword:"type",params:{type: "string"},message:"must be string"};
        if(vErrors === null){
        vErrors = [err17];
        }
        else {
        vErrors.push(err17);
        }
        errors++;
        }
        }
        if(data.marketingOptIn !== undefined){
        if(typeof data.marketingOptIn !== "boolean"){
        const err18 = {instancePath:instancePath+"/marketingOptIn",schemaPath:"#/properties/marketingOptIn/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
        if(vErrors === null){
        vErrors = [err18];
        }
        else {
        vErrors.push(err18);
        }
        errors++;
        }
        }
        }
        else {
        const err19 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
        if(vErrors === null){
        vErrors = [err19];
        }
        else {
        vErrors.push(err19);
        }
        errors++;
        }
        validate10.errors = vErrors;
        return errors === 0;
        }
      }),
    },
  },
};
